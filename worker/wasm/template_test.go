package wasm

import (
	"bytes"
	"testing"

	"github.com/cooper-kernel/cooper/bundle"
	"github.com/cooper-kernel/cooper/vat"
)

func clearBundleTemplates() {
	bundleTemplates.Lock()
	defer bundleTemplates.Unlock()
	bundleTemplates.m, bundleTemplates.order = nil, nil
}

// TestBundleTemplate: a vat made from a bundle evaluated before in the
// process (a copy of that evaluation) is byte for byte the vat a fresh
// evaluation makes, after startVat and a message, computrons included; a
// bundle whose module body calls Go (console) is evaluated every time; a
// delivery limit below the evaluation's cost fails as a fresh one does.
func TestBundleTemplate(t *testing.T) {
	build := func(src string) []byte {
		bd, err := bundle.BuildSource("v.js", src)
		if err != nil {
			t.Fatal(err)
		}
		return bd.Marshal()
	}
	counter := build(`import { Far } from '@endo/far';
const table = new Map(); for (let i = 0; i < 1000; i++) table.set(i, 'x' + i);
export function buildRootObject() { let n = 0; return Far('c', { inc: () => (n += table.size) }); }`)
	noisy := build(`import { Far } from '@endo/far';
console.log('module body');
export function buildRootObject() { return Far('c', { inc: () => 1 }); }`)
	m := NewMaker(Options{})
	run := func(b []byte, limit uint64) ([]byte, uint64, error) {
		t.Helper()
		w, err := m.New(vat.Spec{ID: "v7", Name: "c", Bundle: b, DeliveryLimit: limit})
		if err != nil {
			return nil, 0, err
		}
		defer w.Close()
		var used uint64
		for _, d := range []vat.Delivery{
			{Kind: vat.DeliverStartVat, VatParameters: vat.CapData{Body: "#{}"}},
			{Kind: vat.DeliverMessage, Target: "o+0", Methargs: vat.CapData{Body: `#["inc",[]]`}, Result: "p-1"},
		} {
			out := w.Deliver(d, func(vat.Syscall) vat.SyscallResult { return vat.SyscallResult{} })
			if out.Err != "" {
				t.Fatal(out.Err)
			}
			used += out.Computrons
		}
		snap, err := w.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		return snap, used, nil
	}
	clearBundleTemplates()
	fresh, freshUsed, err := run(counter, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := bundleTemplate(templateKeyOf(counter)); !ok {
		t.Fatal("the evaluation was not kept")
	}
	copied, copiedUsed, err := run(counter, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, copied) || freshUsed != copiedUsed {
		t.Fatalf("a vat from the kept evaluation differs: %d/%d bytes, %d/%d computrons", len(fresh), len(copied), freshUsed, copiedUsed)
	}
	if _, _, err := run(counter, 1); err == nil {
		t.Fatal("a delivery limit of 1 computron evaluated the bundle")
	}
	if _, _, err := run(noisy, 0); err != nil {
		t.Fatal(err)
	}
	if _, ok := bundleTemplate(templateKeyOf(noisy)); ok {
		t.Fatal("an evaluation that called Go was kept")
	}
}

func templateKeyOf(b []byte) [32]byte { return templateKey(current, b) }
