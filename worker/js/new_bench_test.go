package js

import (
	"testing"

	"github.com/dop251/goja"

	"github.com/cooper-kernel/cooper/bundle"
	"github.com/cooper-kernel/cooper/vat"
	"github.com/cooper-kernel/cooper/worker/js/metering"
)

// BenchmarkNewWorker measures starting a JS vat's runtime (before startVat).
func BenchmarkNewWorker(b *testing.B) {
	bd, err := bundle.BuildSource("counter.js", `import { Far } from '@endo/far';
export function buildRootObject() { let n = 0; return Far('c', { inc: () => (n += 1) }); }`)
	if err != nil {
		b.Fatal(err)
	}
	UseUTC()
	programs := NewPrograms()
	spec := vat.Spec{ID: "v1", Name: "c", Bundle: bd.Marshal()}
	for b.Loop() {
		w, err := New(spec, programs)
		if err != nil {
			b.Fatal(err)
		}
		w.Close()
	}
}

// BenchmarkBareRuntime is the floor: goja.New plus metering.Install.
func BenchmarkBareRuntime(b *testing.B) {
	for b.Loop() {
		rt := goja.New()
		m := metering.NewMeter(rt)
		if err := metering.Install(rt, m, metering.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewWorkerPatterns measures starting a vat that imports
// @endo/patterns, @agoric/store and @endo/exo (patterns.js is built on that
// first import) and makes an exo with an interface guard.
func BenchmarkNewWorkerPatterns(b *testing.B) {
	bd, err := bundle.BuildSource("exo.js", `import { M } from '@endo/patterns';
import { makeScalarMapStore } from '@agoric/store';
import { makeExo } from '@endo/exo';
const store = makeScalarMapStore('counts');
export function buildRootObject() {
  return makeExo('c', M.interface('c', { inc: M.call(M.string()).returns(M.nat()) }), {
    inc: k => { store.init(k, 1n); return 1n; },
  });
}`)
	if err != nil {
		b.Fatal(err)
	}
	UseUTC()
	programs := NewPrograms()
	spec := vat.Spec{ID: "v1", Name: "c", Bundle: bd.Marshal()}
	for b.Loop() {
		w, err := New(spec, programs)
		if err != nil {
			b.Fatal(err)
		}
		w.Close()
	}
}
