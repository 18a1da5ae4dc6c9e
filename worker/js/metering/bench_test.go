package metering

import (
	"testing"

	"github.com/dop251/goja"
)

const benchLoop = `(function () { let sum = 0; for (let i = 0; i < 10000; i++) { sum = sum + i * 2; } return sum; })`

func benchLoopRun(b *testing.B, prog *goja.Program, rt *goja.Runtime) {
	fv, err := rt.RunProgram(prog)
	if err != nil {
		b.Fatal(err)
	}
	f, _ := goja.AssertFunction(fv)
	for b.Loop() {
		if _, err := f(goja.Undefined()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlainLoop runs a 10,000-iteration arithmetic loop uninstrumented.
func BenchmarkPlainLoop(b *testing.B) {
	benchLoopRun(b, goja.MustCompile("loop.js", benchLoop, false), goja.New())
}

// BenchmarkInstrumentedLoop runs the same loop instrumented and metered.
func BenchmarkInstrumentedLoop(b *testing.B) {
	prog, err := Instrument("loop.js", benchLoop)
	if err != nil {
		b.Fatal(err)
	}
	rt := goja.New()
	m := NewMeter(rt)
	if err := Install(rt, m, Options{}); err != nil {
		b.Fatal(err)
	}
	m.Reset(0)
	benchLoopRun(b, prog, rt)
}
