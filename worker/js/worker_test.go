package js

import (
	"errors"
	"testing"
	"time"

	"github.com/cooper-kernel/cooper/bundle"
	"github.com/cooper-kernel/cooper/vat"
)

// TestNewNeedsUTC: a JS vat does not start while the process's time zone
// (which goja's Date reads) is not UTC; after UseUTC it does.
func TestNewNeedsUTC(t *testing.T) {
	bd, err := bundle.BuildSource("v.js", `import { Far } from '@endo/far';
export function buildRootObject() { return Far('v', {}); }`)
	if err != nil {
		t.Fatal(err)
	}
	spec := vat.Spec{ID: "v1", Name: "v", Bundle: bd.Marshal()}
	programs := NewPrograms()
	time.Local = time.FixedZone("UTC+5", 5*3600)
	defer UseUTC()
	if _, err := New(spec, programs); !errors.Is(err, errLocalTime) {
		t.Fatalf("New with a local time zone: %v", err)
	}
	UseUTC()
	w, err := New(spec, programs)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
}
