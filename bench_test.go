package cooper_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/internal/bench"
	"github.com/cooper-kernel/cooper/kernel"
)

// benchPingPong times alice.<method>(b.N) on a fresh kernel of the demo
// config demoDir, committing every 1,000 cranks: the code of
// `cooper bench pingpong`. b.N is the round count of that one call, so
// this benchmark runs on b.N rather than b.Loop.
func benchPingPong(b *testing.B, demoDir, method string) {
	bk, err := bench.NewKernel(demoDir)
	if err != nil {
		b.Fatal(err)
	}
	defer bk.Close()
	bk.Deliveries = 0
	b.ResetTimer()
	start := time.Now()
	if _, err := bench.PingPongRound(context.Background(), bk, method, b.N, 1000); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(bk.Deliveries)/time.Since(start).Seconds(), "deliveries/s")
}

// BenchmarkPingPongGo is the two-vat ping-pong with Go vats
// (demo/go-pingpong), one round trip per op.
func BenchmarkPingPongGo(b *testing.B) {
	for _, method := range []string{"sequential", "concurrent"} {
		b.Run(method, func(b *testing.B) { benchPingPong(b, "go-pingpong", method) })
	}
}

// BenchmarkPingPongJS is the two-vat ping-pong with the JS vats of
// demo/pingpong, one round trip per op.
func BenchmarkPingPongJS(b *testing.B) {
	for _, method := range []string{"sequential", "concurrent"} {
		b.Run(method, func(b *testing.B) { benchPingPong(b, "pingpong", method) })
	}
}

// BenchmarkDynamicVatCreate creates one dynamic JS vat per op from a bundle
// cap, sends it one message and commits, with every vat kept online
// ("maxVatsOnline": 0); it reports the time per vat, split into the cranks
// (run-ms) and the commit (commit-ms), and the cranks per vat.
func BenchmarkDynamicVatCreate(b *testing.B) {
	k, _ := dynKernelWith(b, `"maxVatsOnline": 0`, cooper.Options{})
	defer k.Close()
	i, cranks := 0, 0
	var run, commit time.Duration
	for b.Loop() {
		kp, err := k.QueueToVatRoot("bootstrap", "byCap", []capdata.Value{fmt.Sprintf("c%d", i)})
		i++
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		n, err := k.Run(kernel.UntilEmpty())
		if err != nil {
			b.Fatal(err)
		}
		cranks += n
		ran := time.Now()
		if rejected, v, _ := k.KPResolution(kp); rejected {
			b.Fatal(capdata.Format(v))
		}
		k.ReleaseKP(kp)
		if err := k.Commit(); err != nil {
			b.Fatal(err)
		}
		run += ran.Sub(start)
		commit += time.Since(ran)
	}
	perVat := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(perVat(b.Elapsed()), "ms/vat")
	b.ReportMetric(perVat(run), "run-ms/vat")
	b.ReportMetric(perVat(commit), "commit-ms/vat")
	b.ReportMetric(float64(cranks)/float64(b.N), "cranks/vat")
}
