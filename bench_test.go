package cooper_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel"
)

// pingPongKernel makes an on-disk kernel with alice and bob ready.
func pingPongKernel(b *testing.B, alice, bob, boot string, deliveries *int) *kernel.Kernel {
	b.Helper()
	cfg := &kernel.Config{
		Bootstrap: "bootstrap",
		Vats: []kernel.VatConfig{
			{Name: "bootstrap", BundleName: boot},
			{Name: "alice", BundleName: alice},
			{Name: "bob", BundleName: bob},
		},
	}
	k, err := cooper.Create(b.TempDir(), cfg, cooper.Options{Observer: func(e kernel.Event) {
		if e.Type == "deliver" {
			*deliveries++
		}
	}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := k.Run(kernel.UntilEmpty()); err != nil {
		b.Fatal(err)
	}
	if err := k.Commit(); err != nil {
		b.Fatal(err)
	}
	return k
}

// runPingPong sends alice.method(n) and runs, committing every 1,000 cranks.
func runPingPong(b *testing.B, k *kernel.Kernel, method string, n int) {
	b.Helper()
	kp, err := k.QueueToVatRoot("alice", method, []capdata.Value{float64(n)})
	if err != nil {
		b.Fatal(err)
	}
	for k.RunQueueLength() > 0 {
		if _, err := k.Run(kernel.CrankLimit(1000)); err != nil {
			b.Fatal(err)
		}
		if err := k.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	rejected, v, err := k.KPResolution(kp)
	if err != nil || rejected {
		b.Fatalf("alice.%s: %v %s", method, err, capdata.Format(v))
	}
}

func benchPingPong(b *testing.B, method string) {
	deliveries := 0
	k := pingPongKernel(b, "go-alice", "go-bob", "go-bootstrap-pingpong", &deliveries)
	defer k.Close()
	deliveries = 0
	b.ResetTimer()
	start := time.Now()
	runPingPong(b, k, method, b.N)
	b.ReportMetric(float64(deliveries)/time.Since(start).Seconds(), "deliveries/s")
}

// BenchmarkPingPongGo is the two-vat ping-pong with Go vats, one round trip
// per op, committing every 1,000 cranks.
func BenchmarkPingPongGo(b *testing.B) {
	b.Run("sequential", func(b *testing.B) { benchPingPong(b, "sequential") })
	b.Run("concurrent", func(b *testing.B) { benchPingPong(b, "concurrent") })
}

// BenchmarkPingPongJS is the two-vat ping-pong with the JS vats of
// demo/pingpong, one round trip per op, committing every 1,000 cranks.
func BenchmarkPingPongJS(b *testing.B) {
	for _, method := range []string{"sequential", "concurrent"} {
		b.Run(method, func(b *testing.B) {
			deliveries := 0
			cfg, err := cooper.ReadConfig(filepath.Join("demo", "pingpong", "config.json"))
			if err != nil {
				b.Fatal(err)
			}
			k, err := cooper.Init(b.TempDir(), cfg, cooper.Options{Observer: func(e kernel.Event) {
				if e.Type == "deliver" {
					deliveries++
				}
			}})
			if err != nil {
				b.Fatal(err)
			}
			defer k.Close()
			if _, err := k.Run(kernel.UntilEmpty()); err != nil {
				b.Fatal(err)
			}
			deliveries = 0
			b.ResetTimer()
			start := time.Now()
			runPingPong(b, k, method, b.N)
			b.ReportMetric(float64(deliveries)/time.Since(start).Seconds(), "deliveries/s")
		})
	}
}

// BenchmarkDynamicVatCreate creates one dynamic JS vat per op from a bundle
// cap, sends it one message and commits.
func BenchmarkDynamicVatCreate(b *testing.B) {
	k, _ := dynKernel(b, cooper.Options{})
	defer k.Close()
	b.ResetTimer()
	for i := range b.N {
		kp, err := k.QueueToVatRoot("bootstrap", "byCap", []capdata.Value{fmt.Sprintf("c%d", i)})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := k.Run(kernel.UntilEmpty()); err != nil {
			b.Fatal(err)
		}
		if rejected, v, _ := k.KPResolution(kp); rejected {
			b.Fatal(capdata.Format(v))
		}
		k.ReleaseKP(kp)
		if err := k.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/vat")
}
