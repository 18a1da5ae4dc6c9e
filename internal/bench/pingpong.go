package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/cooper-kernel/cooper/capdata"
)

// PingPongRecord is one run of the ping-pong scenario.
type PingPongRecord struct {
	Scenario           string  `json:"scenario"`
	Impl               string  `json:"impl"`
	Vats               string  `json:"vats"`
	Mode               string  `json:"mode"`
	N                  int     `json:"n"`
	CommitEvery        int     `json:"commitEvery"`
	Run                int     `json:"run"`
	TotalMs            float64 `json:"totalMs"`
	Deliveries         int     `json:"deliveries"`
	Cranks             int     `json:"cranks"`
	DeliveriesPerSec   float64 `json:"deliveriesPerSec"`
	CranksPerSec       float64 `json:"cranksPerSec"`
	DBBytesPerDelivery float64 `json:"dbBytesPerDelivery"`
	DBBytes            int64   `json:"dbBytes"`
	PeakRSS            int64   `json:"peakRSS"`
}

// PingPongDemo is the demo directory of each kind of ping-pong vats.
var PingPongDemo = map[string]string{"js": "pingpong", "go": "go-pingpong"}

// PingPong is the scenario: alice.<mode>(n) between alice and bob, written
// in vats ("js" or "go"), on a fresh kernel per run.
func PingPong(f Flags, vats, mode string, n, commitEvery int) (Scenario, error) {
	if n <= 0 || commitEvery <= 0 {
		return Scenario{}, fmt.Errorf("--n and --commit-every must be positive")
	}
	if mode != "sequential" && mode != "concurrent" {
		return Scenario{}, fmt.Errorf("--mode %q: want sequential or concurrent", mode)
	}
	demoDir := PingPongDemo[vats]
	if demoDir == "" {
		return Scenario{}, fmt.Errorf("--vats %q: want js or go", vats)
	}
	return Scenario{
		Name: "pingpong",
		Cooper: func(ctx context.Context, emit func(any) error) error {
			for run := 1; run <= f.Runs; run++ {
				r, err := pingPongRun(ctx, demoDir, vats, mode, n, commitEvery)
				if err != nil {
					return fmt.Errorf("pingpong run %d: %w", run, err)
				}
				r.Run = run
				if err := emit(r); err != nil {
					return err
				}
			}
			return nil
		},
		// Go vats have no SwingSet counterpart: compare with the JS ping-pong.
		Swingset: []string{"pingpong.js", fmt.Sprintf("--n=%d", n), "--mode=" + mode,
			"--manager=local", fmt.Sprintf("--commitEvery=%d", commitEvery)},
		Rows: []Row{
			{"totalMs", "totalMs", "totalMs"},
			{"deliveries", "deliveries", "deliveries"},
			{"cranks", "cranks", "cranks"},
			{"deliveries/s", "deliveriesPerSec", "deliveriesPerSec"},
			{"cranks/s", "cranksPerSec", "cranksPerSec"},
			{"DB bytes/delivery", "dbBytesPerDelivery", ""},
			{"peak RSS (bytes)", "peakRSS", ""},
		},
	}, nil
}

// PingPongRound sends alice.<mode>(n) on a ping-pong kernel, runs it to
// the end committing every commitEvery cranks, and checks the answer (n).
// It returns the number of cranks.
func PingPongRound(ctx context.Context, bk *Kernel, mode string, n, commitEvery int) (int, error) {
	v, cranks, err := bk.Call(ctx, "alice", mode, commitEvery, float64(n))
	if err != nil {
		return cranks, err
	}
	if got, ok := asNumber(v); !ok || got != float64(n) {
		return cranks, fmt.Errorf("alice.%s(%d) = %s, want %d", mode, n, capdata.Format(v), n)
	}
	return cranks, nil
}

// pingPongRun is one timed ping-pong run on a fresh kernel.
func pingPongRun(ctx context.Context, demoDir, vats, mode string, n, commitEvery int) (PingPongRecord, error) {
	bk, err := NewKernel(demoDir)
	if err != nil {
		return PingPongRecord{}, err
	}
	defer bk.Close()
	dbBefore := bk.K.Store().DBSize()
	bk.Deliveries = 0
	start := time.Now()
	cranks, err := PingPongRound(ctx, bk, mode, n, commitEvery)
	elapsed := time.Since(start)
	if err != nil {
		return PingPongRecord{}, err
	}
	dbAfter := bk.K.Store().DBSize()
	r := PingPongRecord{
		Scenario: "pingpong", Impl: "cooper", Vats: vats, Mode: mode, N: n, CommitEvery: commitEvery,
		TotalMs:          ms(elapsed),
		Deliveries:       bk.Deliveries,
		Cranks:           cranks,
		DeliveriesPerSec: perSec(bk.Deliveries, elapsed),
		CranksPerSec:     perSec(cranks, elapsed),
		DBBytes:          dbAfter,
		PeakRSS:          PeakRSS(),
	}
	if bk.Deliveries > 0 {
		r.DBBytesPerDelivery = round1(float64(dbAfter-dbBefore) / float64(bk.Deliveries))
	}
	return r, nil
}
