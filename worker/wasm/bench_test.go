package wasm_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/cooper-kernel/cooper/bundle"
	"github.com/cooper-kernel/cooper/vat"
	"github.com/cooper-kernel/cooper/worker/js"
	"github.com/cooper-kernel/cooper/worker/wasm"
)

const counterSource = `import { Far } from '@endo/far';
export function buildRootObject() { let n = 0; return Far('c', { inc: () => (n += 1) }); }`

// engines starts a counter vat on each JS worker.
var engines = []struct {
	name string
	new  func(vat.Spec) (vat.Worker, error)
}{
	{"goja", func() func(vat.Spec) (vat.Worker, error) {
		js.UseUTC() // goja's Date reads the process's time zone
		p := js.NewPrograms()
		return func(s vat.Spec) (vat.Worker, error) { return js.New(s, p) }
	}()},
	{"wasm", func() func(vat.Spec) (vat.Worker, error) {
		m := wasm.NewMaker(wasm.Options{})
		return func(s vat.Spec) (vat.Worker, error) { return m.New(s) }
	}()},
}

func counterSpec(b testing.TB) vat.Spec {
	bd, err := bundle.BuildSource("counter.js", counterSource)
	if err != nil {
		b.Fatal(err)
	}
	return vat.Spec{ID: "v1", Name: "c", Bundle: bd.Marshal(), DeliveryLimit: 100_000_000}
}

func noSyscalls(vat.Syscall) vat.SyscallResult { return vat.SyscallResult{} }

var startVat = vat.Delivery{Kind: vat.DeliverStartVat, VatParameters: vat.CapData{Body: "#{}"}}

// BenchmarkNewVat measures starting a counter vat: the worker and its
// startVat delivery.
//
//	go test -run - -bench NewVat ./worker/wasm
func BenchmarkNewVat(b *testing.B) {
	spec := counterSpec(b)
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			w, err := e.new(spec) // compile and warm up outside the loop
			if err != nil {
				b.Fatal(err)
			}
			w.Close()
			for b.Loop() {
				w, err := e.new(spec)
				if err != nil {
					b.Fatal(err)
				}
				if out := w.Deliver(startVat, noSyscalls); out.Err != "" {
					b.Fatal(out.Err)
				}
				w.Close()
			}
		})
	}
}

// BenchmarkCounter measures one message delivery to a counter vat (the
// method, its result's resolution syscall and the worker's bookkeeping).
//
//	go test -run - -bench Counter ./worker/wasm
func BenchmarkCounter(b *testing.B) {
	spec := counterSpec(b)
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			w, err := e.new(spec)
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			if out := w.Deliver(startVat, noSyscalls); out.Err != "" {
				b.Fatal(out.Err)
			}
			var computrons uint64
			i := 0
			for b.Loop() {
				i++
				d := vat.Delivery{Kind: vat.DeliverMessage, Target: "o+0", Methargs: vat.CapData{Body: `#["inc",[]]`}, Result: vat.VRef(fmt.Sprintf("p-%d", i))}
				out := w.Deliver(d, noSyscalls)
				if out.Err != "" {
					b.Fatal(out.Err)
				}
				computrons = out.Computrons
			}
			b.ReportMetric(float64(computrons), "computrons/op")
		})
	}
}

// BenchmarkSnapshot measures a heap snapshot of a counter vat (memory copy
// plus the Go-side tables) and a restore into a fresh instance; the
// restored vat must answer the next increment like the original.
//
//	go test -run - -bench Snapshot ./worker/wasm
func BenchmarkSnapshot(b *testing.B) {
	m := wasm.NewMaker(wasm.Options{})
	w, err := m.New(counterSpec(b))
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	if out := w.Deliver(startVat, noSyscalls); out.Err != "" {
		b.Fatal(out.Err)
	}
	inc := func(w *wasm.Worker, i int) vat.Outcome {
		d := vat.Delivery{Kind: vat.DeliverMessage, Target: "o+0", Methargs: vat.CapData{Body: `#["inc",[]]`}, Result: vat.VRef(fmt.Sprintf("p-%d", i))}
		return w.Deliver(d, noSyscalls)
	}
	for i := 1; i <= 100; i++ {
		inc(w, i)
	}
	var data []byte
	b.Run("take", func(b *testing.B) {
		for b.Loop() {
			if data, err = w.Snapshot(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(data)), "bytes")
	})
	want := inc(w, 101)
	b.Run("restore", func(b *testing.B) {
		for b.Loop() {
			r, err := m.Restore(counterSpec(b), data)
			if err != nil {
				b.Fatal(err)
			}
			if got := inc(r, 101); got != want {
				b.Fatalf("restored vat: %+v, original %+v", got, want)
			}
			r.Close()
		}
	})
}

// TestSnapshotBase: a new vat names the template it started from as the
// base of its snapshots (vat.SnapshotBaser), and that image lines up with
// the end of its snapshot: most of its pages are the vat's, page for page
// from the end, after startVat and a message.
func TestSnapshotBase(t *testing.T) {
	w, err := wasm.NewMaker(wasm.Options{}).New(counterSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	key, image := w.SnapshotBase()
	if key == "" || len(image) == 0 {
		t.Fatalf("no base: %q, %d bytes", key, len(image))
	}
	if out := w.Deliver(startVat, noSyscalls); out.Err != "" {
		t.Fatal(out.Err)
	}
	d := vat.Delivery{Kind: vat.DeliverMessage, Target: "o+0", Methargs: vat.CapData{Body: `#["inc",[]]`}, Result: "p-1"}
	if out := w.Deliver(d, noSyscalls); out.Err != "" {
		t.Fatal(out.Err)
	}
	snap, err := w.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	same, n := 0, len(image)/page
	for i := 1; i <= n && i*page <= len(snap); i++ {
		if bytes.Equal(snap[len(snap)-i*page:len(snap)-(i-1)*page], image[len(image)-i*page:len(image)-(i-1)*page]) {
			same++
		}
	}
	if same < n/2 {
		t.Errorf("%d of the base's %d pages line up with the snapshot", same, n)
	}
	if key2, _ := w.SnapshotBase(); key2 != key {
		t.Errorf("the base's key changed: %q, %q", key, key2)
	}
}
