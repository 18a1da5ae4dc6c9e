package cooper_test

import (
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/vat"
)

// TestMakerKinds checks the table of worker kinds: the maker picks the
// worker from the vat's code and refuses what it cannot run.
func TestMakerKinds(t *testing.T) {
	tests := []struct {
		name     string
		jsWorker string
		spec     vat.Spec
		err      string // "" if a worker starts
	}{
		{"go vat", "", vat.Spec{ID: "v1", GoName: vat.AdminGoName}, ""},
		{"unknown go vat", "", vat.Spec{ID: "v1", GoName: "nope"}, `no Go vat named "nope" in this binary`},
		{"no code", "", vat.Spec{ID: "v1"}, "vat v1: no code (neither a bundle nor a Go vat)"},
		{"unknown js worker", "v8", vat.Spec{ID: "v1", Bundle: []byte("{}")}, `unknown JS worker "v8" (use "goja" or "wasm")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := cooper.NewMaker(nil)
			m.JSWorker = tt.jsWorker
			w, err := m.NewWorker(tt.spec)
			if tt.err == "" {
				if err != nil {
					t.Fatalf("NewWorker: %v", err)
				}
				w.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("NewWorker = %v, want %q", err, tt.err)
			}
		})
	}
}
