package wasm

import (
	"strconv"
	"testing"

	"github.com/cooper-kernel/cooper/bundle"
	"github.com/cooper-kernel/cooper/vat"
)

// TestReleaseTakesBack: a handle waiting for release that the glue names
// again is not released with the batch, and still names its object.
func TestReleaseTakesBack(t *testing.T) {
	bd, err := bundle.BuildSource("c.js", `import { Far } from '@endo/far';
export function buildRootObject() { return Far('c', {}); }`)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewMaker(Options{}).New(vat.Spec{ID: "v1", Name: "c", Bundle: bd.Marshal(), DeliveryLimit: 100_000_000})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if out := w.Deliver(vat.Delivery{Kind: vat.DeliverStartVat, VatParameters: vat.CapData{Body: "#{}"}}, func(vat.Syscall) vat.SyscallResult { return vat.SyscallResult{} }); out.Err != "" {
		t.Fatal(out.Err)
	}
	presence := func() handle {
		r, ok := w.call('P', "Alleged: p")
		if !ok {
			t.Fatal(w.ls.Failed())
		}
		return w.handleOf(r)
	}
	var hs []handle
	for range releaseBatch + 1 {
		hs = append(hs, presence())
	}
	back := hs[3]
	w.release = append([]handle(nil), hs...) // all let go of
	w.seen(back)                             // the glue named one again
	if len(w.release) != releaseBatch {
		t.Fatalf("%d handles wait, want %d", len(w.release), releaseBatch)
	}
	if r, ok := w.call('C', strconv.FormatUint(uint64(back), 10)); !ok || r != "rAlleged: p" {
		t.Fatalf("classify the handle taken back after the batch: %q, %v", r, w.ls.Failed())
	}
	if len(w.release) != 0 {
		t.Fatalf("%d handles still wait", len(w.release))
	}
	if _, ok := w.call('C', strconv.FormatUint(uint64(hs[4]), 10)); ok {
		t.Fatal("a released handle still names its object")
	}
}
