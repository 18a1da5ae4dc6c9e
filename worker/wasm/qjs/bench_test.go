package qjs

import (
	"context"
	"testing"
)

var workloads = []struct{ name, src string }{
	{"loop", "let s=0; for (let i=0;i<1e6;i++){s+=i} s"},
	{"objects", "let a=[]; for (let i=0;i<1e5;i++){a.push({i, s:'x'+i})} a.length"},
	{"map", "const m=new Map(); for (let i=0;i<1e5;i++){m.set('k'+i,i)} let t=0; for (const [k,v] of m) t+=v; t"},
	{"json", "let o=[]; for (let i=0;i<1e4;i++) o.push({a:i,b:[1,2,3],c:'str'+i}); JSON.parse(JSON.stringify(o)).length"},
	{"recursion", "function fib(n){return n<2?n:fib(n-1)+fib(n-2)} fib(22)"},
	{"sort", "const a=[]; for (let i=0;i<1e5;i++) a.push((i*7919)%100003); a.sort((x,y)=>x-y); a[5]"},
}

func benchWorkloads(b *testing.B, e *Engine) {
	for _, w := range workloads {
		b.Run(w.name, func(b *testing.B) {
			in, err := e.New(Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer in.Close()
			var fuel int64
			for b.Loop() {
				in.SetFuel(1 << 60)
				if _, err := in.EvalString("{" + w.src + "}"); err != nil {
					b.Fatal(err)
				}
				fuel = 1<<60 - in.Fuel()
			}
			b.ReportMetric(float64(fuel), "fuel/op")
		})
	}
}

// BenchmarkWorkloads measures plain JS workloads with fuel metering.
//
//	go test -run - -bench Workloads ./worker/wasm/qjs
func BenchmarkWorkloads(b *testing.B) {
	e, err := testEngine()
	if err != nil {
		b.Fatal(err)
	}
	benchWorkloads(b, e)
}

// BenchmarkWorkloadsNoFuel is BenchmarkWorkloads on a module without fuel
// metering: the difference is what metering costs.
func BenchmarkWorkloadsNoFuel(b *testing.B) {
	e, err := NewEngine(context.Background(), Config{noFuel: true})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(context.Background())
	benchWorkloads(b, e)
}
