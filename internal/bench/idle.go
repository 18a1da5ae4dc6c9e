package bench

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
)

// IdleRecord is one run of the idle-vats scenario.
type IdleRecord struct {
	Scenario  string `json:"scenario"`
	Impl      string `json:"impl"`
	M         int    `json:"m"`
	MaxOnline uint64 `json:"maxOnline"`
	Run       int    `json:"run"`
	// BaseRSS is the resident memory before the vats were made, RSS after
	// (both after a GC), RSSPerVat the difference per vat.
	BaseRSS   int64   `json:"baseRSS"`
	RSS       int64   `json:"rss"`
	RSSPerVat int64   `json:"rssPerVat"`
	Online    int     `json:"online"`
	CreateMs  float64 `json:"createMs"`
	// AnswerMs is how long the first vat made (the least recently used,
	// paged out when MaxOnline < M) takes to answer one message.
	AnswerMs float64 `json:"answerMs"`
	DBBytes  int64   `json:"dbBytes"`
}

// Idle is the scenario: make m dynamic counter vats (one message each)
// in a kernel keeping at most maxOnline of them online (0: all), then
// measure the resident memory per vat and the time the first one takes to
// answer again. Meant for the wasm worker (goja vats never page out).
func Idle(f Flags, m int, maxOnline uint64) (Scenario, error) {
	if m <= 0 {
		return Scenario{}, fmt.Errorf("--m must be positive")
	}
	return Scenario{
		Name: "idle",
		Cooper: func(ctx context.Context, emit func(any) error) error {
			for run := 1; run <= f.Runs; run++ {
				r, err := idleRun(ctx, m, maxOnline)
				if err != nil {
					return fmt.Errorf("idle run %d: %w", run, err)
				}
				r.Run = run
				if err := emit(r); err != nil {
					return err
				}
			}
			return nil
		},
		Rows: []Row{
			{"resident bytes per idle vat", "rssPerVat", ""},
			{"RSS after (bytes)", "rss", ""},
			{"vats online", "online", ""},
			{"first vat answers (ms)", "answerMs", ""},
			{"create all (ms)", "createMs", ""},
			{"DB bytes", "dbBytes", ""},
		},
	}, nil
}

func idleRun(ctx context.Context, m int, maxOnline uint64) (IdleRecord, error) {
	r := IdleRecord{Scenario: "idle", Impl: "cooper", M: m, MaxOnline: maxOnline}
	bk, err := newKernel("dynamic", func(c *cooper.Config) { c.MaxVatsOnline = &maxOnline })
	if err != nil {
		return r, err
	}
	defer bk.Close()
	r.BaseRSS = settledRSS()
	start := time.Now()
	for i := range m {
		if _, _, err := bk.Call(ctx, "bootstrap", "makeCounter", 1000, fmt.Sprintf("c%d", i)); err != nil {
			return r, err
		}
		if i%100 == 99 {
			if err := bk.K.Commit(); err != nil {
				return r, err
			}
		}
	}
	if err := bk.K.Commit(); err != nil {
		return r, err
	}
	r.CreateMs = ms(time.Since(start))
	r.RSS = settledRSS()
	r.RSSPerVat = (r.RSS - r.BaseRSS) / int64(m)
	r.Online = len(bk.K.OnlineVats())
	start = time.Now()
	v, _, err := bk.Call(ctx, "bootstrap", "bump", 1000, "c0")
	if err != nil {
		return r, err
	}
	r.AnswerMs = ms(time.Since(start))
	if n, _ := asNumber(v); n != 2 {
		return r, fmt.Errorf("c0 answered %s, want 2", capdata.Format(v))
	}
	r.DBBytes = bk.K.Store().DBSize()
	return r, nil
}

// settledRSS is the resident memory after a GC that returns freed memory.
func settledRSS() int64 {
	runtime.GC()
	debug.FreeOSMemory()
	return CurrentRSS()
}
