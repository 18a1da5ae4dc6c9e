package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/kernel"
)

// ReplayRecord is one run of the replay scenario.
type ReplayRecord struct {
	Scenario         string  `json:"scenario"`
	Impl             string  `json:"impl"`
	N                int     `json:"n"`
	Run              int     `json:"run"`
	Vats             int     `json:"vats"`
	TotalMs          float64 `json:"totalMs"`
	Deliveries       int     `json:"deliveries"`
	DeliveriesPerSec float64 `json:"deliveriesPerSec"`
	PeakRSS          int64   `json:"peakRSS"`
}

// Replay is the scenario: cooper.Verify (transcript replay in scratch
// workers) over the restart scenario's kernel, with n bumps.
func Replay(f Flags, n int) (Scenario, error) {
	if n <= 0 {
		return Scenario{}, fmt.Errorf("--n must be positive")
	}
	return Scenario{
		Name: "replay",
		Cooper: func(ctx context.Context, emit func(any) error) error {
			return replayRuns(ctx, n, f.Runs, emit)
		},
		Rows: []Row{
			{"totalMs", "totalMs", ""},
			{"deliveries", "deliveries", ""},
			{"deliveries/s", "deliveriesPerSec", ""},
			{"peak RSS (bytes)", "peakRSS", ""},
		},
	}, nil
}

func replayRuns(ctx context.Context, n, runs int, emit func(any) error) error {
	bk, _, err := counterKernel(ctx, n, false)
	if err != nil {
		return fmt.Errorf("replay setup: %w", err)
	}
	defer bk.Close()
	for run := 1; run <= runs; run++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		deliveries, vats := 0, 0
		var firstErr error
		start := time.Now()
		ok, err := cooper.Verify(bk.dir, Options(nil), nil, func(r kernel.VerifyResult) {
			deliveries += int(r.Deliveries)
			vats++
			if r.Err != nil && firstErr == nil {
				firstErr = fmt.Errorf("%s (%s): %w", r.Vat, r.Name, r.Err)
			}
		})
		elapsed := time.Since(start)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("replay diverged: %w", firstErr)
		}
		err = emit(ReplayRecord{
			Scenario: "replay", Impl: "cooper", N: n, Run: run, Vats: vats,
			TotalMs: ms(elapsed), Deliveries: deliveries,
			DeliveriesPerSec: perSec(deliveries, elapsed), PeakRSS: PeakRSS(),
		})
		if err != nil {
			return err
		}
	}
	return nil
}
