package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/vat"
)

// RestartRecord is one run of the restart scenario.
type RestartRecord struct {
	Scenario            string  `json:"scenario"`
	Impl                string  `json:"impl"`
	N                   int     `json:"n"`
	Run                 int     `json:"run"`
	InProcess           bool    `json:"inProcess"`
	ReopenMs            float64 `json:"reopenMs"`
	OpenMs              float64 `json:"openMs"`
	FirstRunMs          float64 `json:"firstRunMs"`
	ReplayedDeliveries  int     `json:"replayedDeliveries"`
	CounterAfterRestart float64 `json:"counterAfterRestart"`
	SetupMs             float64 `json:"setupMs"`
	ChildPeakRSS        int64   `json:"childPeakRSS"`
	// With --base: the same restart after Base increments, and the ratio
	// of the two restart times (ReopenMs / BaseReopenMs).
	Base               int     `json:"base,omitempty"`
	BaseReopenMs       float64 `json:"baseReopenMs,omitempty"`
	BaseReplayed       int     `json:"baseReplayedDeliveries,omitempty"`
	Ratio              float64 `json:"ratio,omitempty"`
	SnapshotsLoaded    int     `json:"snapshotsLoaded"`
	BaseSnapshotLoaded int     `json:"baseSnapshotsLoaded,omitempty"`
}

// ChildRecord is what the timed child phase of a restart prints.
type ChildRecord struct {
	Phase               string  `json:"phase"`
	ReopenMs            float64 `json:"reopenMs"`
	OpenMs              float64 `json:"openMs"`
	FirstRunMs          float64 `json:"firstRunMs"`
	ReplayedDeliveries  int     `json:"replayedDeliveries"`
	SnapshotsLoaded     int     `json:"snapshotsLoaded"`
	CounterAfterRestart float64 `json:"counterAfterRestart"`
	PeakRSS             int64   `json:"peakRSS"`
}

// RestartOptions vary the restart scenario.
type RestartOptions struct {
	// Base, when positive, also restarts a kernel bumped Base times and
	// reports the ratio of the two restart times.
	Base int
	// Crash ends the setup as a crash after the last commit would: Close
	// takes no heap snapshots, so a restart loads the last periodic ones
	// and replays the deliveries since.
	Crash bool
}

// Child runs the timed phase of a restart on the kernel in dir, printing
// one [ChildRecord] line on stdout: [RestartChild] in this process, or the
// same in a fresh process (`cooper bench restart-child`).
type Child func(ctx context.Context, dir string, expect int, stdout io.Writer) error

// Restart is the scenario: a kernel with one dynamic counter vat bumped n
// times is reopened (replaying every transcript) and bumped once more, on
// a fresh copy per run, by child (nil: in this process).
func Restart(f Flags, n int, child Child, ro RestartOptions) (Scenario, error) {
	if n <= 0 || ro.Base < 0 {
		return Scenario{}, fmt.Errorf("--n must be positive (and --base not negative)")
	}
	inProcess := child == nil
	if inProcess {
		child = RestartChild
	}
	return Scenario{
		Name: "restart",
		Cooper: func(ctx context.Context, emit func(any) error) error {
			return restartRuns(ctx, n, f.Runs, child, inProcess, ro, emit)
		},
		// restart.js sets up once and restarts --repeat times in fresh
		// processes, reporting medians: one call does all the runs.
		Swingset:     []string{"restart.js", fmt.Sprintf("--n=%d", n), "--manager=local", "--reapInterval=never", fmt.Sprintf("--repeat=%d", f.Runs)},
		SwingsetRuns: 1,
		SwingsetFix:  fixSwingsetRestart,
		Rows: []Row{
			{"restartMs (open+replay+1st msg)", "reopenMs", "restartMs"},
			{"open+replay ms", "openMs", "constructMs"},
			{"first message ms", "firstRunMs", "firstRunMs"},
			{"replayed deliveries", "replayedDeliveries", "replayedDeliveries"},
			{"heap snapshots loaded", "snapshotsLoaded", ""},
			{"restartMs after --base increments", "baseReopenMs", ""},
			{"ratio restartMs / base restartMs", "ratio", ""},
			{"setupMs", "setupMs", "setupMs"},
			{"child peak RSS (bytes)", "childPeakRSS", ""},
		},
	}, nil
}

// fixSwingsetRestart adds constructMs (open store + controller, which
// replays) and replayedDeliveries (summed over vats) to a restart.js result.
func fixSwingsetRestart(m map[string]any) {
	open, _ := m["openStoreMs"].(float64)
	if ctrl, ok := m["controllerMs"].(float64); ok {
		m["constructMs"] = round1(open + ctrl)
	}
	if vats, ok := m["vatsAtRestart"].(map[string]any); ok {
		total := 0.0
		for _, v := range vats {
			if vm, ok := v.(map[string]any); ok {
				if r, ok := vm["replay"].(float64); ok {
					total += r
				}
			}
		}
		m["replayedDeliveries"] = total
	}
}

func restartRuns(ctx context.Context, n, runs int, child Child, inProcess bool, ro RestartOptions, emit func(any) error) error {
	bk, setup, err := counterKernel(ctx, n, ro.Crash)
	if err != nil {
		return fmt.Errorf("restart setup: %w", err)
	}
	defer bk.Close()
	var base *Kernel
	if ro.Base > 0 {
		if base, _, err = counterKernel(ctx, ro.Base, ro.Crash); err != nil {
			return fmt.Errorf("restart setup (--base): %w", err)
		}
		defer base.Close()
	}
	for run := 1; run <= runs; run++ {
		c, err := restartOnce(ctx, bk, n, run, child)
		if err != nil {
			return err
		}
		rec := RestartRecord{
			Scenario: "restart", Impl: "cooper", N: n, Run: run, InProcess: inProcess,
			ReopenMs: c.ReopenMs, OpenMs: c.OpenMs, FirstRunMs: c.FirstRunMs,
			ReplayedDeliveries: c.ReplayedDeliveries, CounterAfterRestart: c.CounterAfterRestart,
			SetupMs: ms(setup), ChildPeakRSS: c.PeakRSS, SnapshotsLoaded: c.SnapshotsLoaded,
		}
		if base != nil {
			b, err := restartOnce(ctx, base, ro.Base, run, child)
			if err != nil {
				return err
			}
			rec.Base, rec.BaseReopenMs, rec.BaseReplayed, rec.BaseSnapshotLoaded = ro.Base, b.ReopenMs, b.ReplayedDeliveries, b.SnapshotsLoaded
			rec.Ratio = math.Round(1000*c.ReopenMs/b.ReopenMs) / 1000
		}
		if err := emit(rec); err != nil {
			return err
		}
	}
	return nil
}

// restartOnce runs child on a fresh copy of bk's directory.
func restartOnce(ctx context.Context, bk *Kernel, n, run int, child Child) (ChildRecord, error) {
	var c ChildRecord
	copyDir := filepath.Join(bk.base, fmt.Sprintf("restart-%d", run))
	if err := os.CopyFS(copyDir, os.DirFS(bk.dir)); err != nil {
		return c, err
	}
	var out bytes.Buffer
	err := child(ctx, copyDir, n+1, &out)
	os.RemoveAll(copyDir)
	if err != nil {
		return c, fmt.Errorf("restart run %d: %w", run, err)
	}
	if err := json.Unmarshal([]byte(lastJSONLine(out.Bytes())), &c); err != nil {
		return c, fmt.Errorf("restart run %d: child printed %q: %w", run, out.String(), err)
	}
	return c, nil
}

// RestartChild opens the kernel in dir (replaying every vat), sends
// bootstrap.bump("counter") without committing, checks the answer is
// expect (unless 0) and prints one [ChildRecord] line.
func RestartChild(ctx context.Context, dir string, expect int, stdout io.Writer) error {
	replayed, loaded := 0, 0
	start := time.Now()
	k, err := cooper.Open(dir, Options(func(e kernel.Event) {
		switch e.Type {
		case kernel.EventReplayFinish:
			replayed += int(e.Deliveries)
		case kernel.EventSnapshotLoad:
			loaded++
		}
	}))
	if err != nil {
		return err
	}
	defer k.Close()
	opened := time.Now()
	kp, err := k.QueueToVatRoot("bootstrap", "bump", []capdata.Value{"counter"})
	if err != nil {
		return err
	}
	if _, err := k.Run(kernel.UntilEmpty()); err != nil {
		return err
	}
	done := time.Now()
	v, err := result(k, kp, "bootstrap", "bump")
	if err != nil {
		return err
	}
	got, _ := asNumber(v)
	if expect != 0 && got != float64(expect) {
		return fmt.Errorf("bump after restart = %s, want %d", capdata.Format(v), expect)
	}
	return writeJSON(stdout, ChildRecord{
		Phase:               "restart-child",
		ReopenMs:            ms(done.Sub(start)),
		OpenMs:              ms(opened.Sub(start)),
		FirstRunMs:          ms(done.Sub(opened)),
		ReplayedDeliveries:  replayed,
		SnapshotsLoaded:     loaded,
		CounterAfterRestart: got,
		PeakRSS:             PeakRSS(),
	})
}

// counterKernel makes the restart/replay kernel: demo/dynamic with one
// dynamic vat "counter" incremented n times in all (makeCounter, then n-1
// bootstrap.bump calls queued up to 1000 per block), committed and closed
// (with crash, closed with an uncommitted message, so without the heap
// snapshots of a clean close).
func counterKernel(ctx context.Context, n int, crash bool) (*Kernel, time.Duration, error) {
	start := time.Now()
	bk, err := NewKernel("dynamic")
	if err != nil {
		return nil, 0, err
	}
	if err := bumpTo(ctx, bk, n); err != nil {
		bk.Close()
		return nil, 0, err
	}
	if crash {
		if _, err := bk.K.QueueToVatRoot("bootstrap", "bump", []capdata.Value{"counter"}); err != nil {
			bk.Close()
			return nil, 0, err
		}
	}
	if err := bk.shutdown(); err != nil {
		bk.Close()
		return nil, 0, err
	}
	return bk, time.Since(start), nil
}

func bumpTo(ctx context.Context, bk *Kernel, n int) error {
	v, _, err := bk.Call(ctx, "bootstrap", "makeCounter", 1000, "counter")
	if err != nil {
		return err
	}
	count, _ := asNumber(v)
	const batch = 1000
	for done := 1; done < n; {
		k := min(batch, n-done)
		kps := make([]vat.KRef, k)
		for i := range kps {
			if kps[i], err = bk.K.QueueToVatRoot("bootstrap", "bump", []capdata.Value{"counter"}); err != nil {
				return err
			}
		}
		if _, err := cooper.RunBlocks(ctx, bk.K, 1000); err != nil {
			return err
		}
		for _, kp := range kps {
			if v, err = result(bk.K, kp, "bootstrap", "bump"); err != nil {
				return err
			}
		}
		count, _ = asNumber(v)
		done += k
	}
	if count != float64(n) {
		return fmt.Errorf("counter = %v after setup, want %d", count, n)
	}
	return bk.K.Commit()
}
