package wasm

import (
	"os"
	"testing"

	"github.com/cooper-kernel/cooper/bundle"
	"github.com/cooper-kernel/cooper/vat"
)

// TestPatternsProperties runs worker/jsvat/testdata/patterns_props.js on
// QuickJS: rank order agrees with the order of the key encodings, decoding
// inverts encoding, and known encodings are SwingSet's.
func TestPatternsProperties(t *testing.T) {
	src, err := os.ReadFile("../jsvat/testdata/patterns_props.js")
	if err != nil {
		t.Fatal(err)
	}
	bd, err := bundle.BuildSource("patterns_props.js", string(src)+"\nexport const buildRootObject = () => ({});\n")
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewMaker(Options{}).New(vat.Spec{ID: "v1", Name: "props", Bundle: bd.Marshal()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := (*face)(w).Evaluate(); err != nil { // the properties run at module level
		t.Fatal(err)
	}
}
