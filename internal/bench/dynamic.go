package bench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
)

// DynamicRecord is one run of the dynamic-vat scenario.
type DynamicRecord struct {
	Scenario       string  `json:"scenario"`
	Impl           string  `json:"impl"`
	M              int     `json:"m"`
	Run            int     `json:"run"`
	TotalMs        float64 `json:"totalMs"`
	MsPerVat       float64 `json:"msPerVat"`
	MedianMsPerVat float64 `json:"medianMsPerVat"`
	FirstVatMs     float64 `json:"firstVatMs"`
	MaxMsPerVat    float64 `json:"maxMsPerVat"`
	Cranks         int     `json:"cranks"`
	CranksPerVat   float64 `json:"cranksPerVat"`
	Deliveries     int     `json:"deliveries"`
	DBBytes        int64   `json:"dbBytes"`
	PeakRSS        int64   `json:"peakRSS"`
}

// Dynamic is the scenario: create m dynamic vats from a bundle, one
// message and one commit each, in a kernel with maxVatsOnline maxOnline
// (negative: the config's default).
func Dynamic(f Flags, m, maxOnline int) (Scenario, error) {
	if m <= 0 {
		return Scenario{}, fmt.Errorf("--m must be positive")
	}
	return Scenario{
		Name: "dynamic",
		Cooper: func(ctx context.Context, emit func(any) error) error {
			for run := 1; run <= f.Runs; run++ {
				r, err := dynamicRun(ctx, m, maxOnline)
				if err != nil {
					return fmt.Errorf("dynamic run %d: %w", run, err)
				}
				r.Run = run
				if err := emit(r); err != nil {
					return err
				}
			}
			return nil
		},
		Swingset: []string{"dynamic.js", fmt.Sprintf("--m=%d", m), "--manager=local"},
		Rows: []Row{
			{"totalMs", "totalMs", "totalMs"},
			{"ms/vat (mean)", "msPerVat", "msPerVat"},
			{"ms/vat (median)", "medianMsPerVat", "medianMsPerVat"},
			{"first vat ms", "firstVatMs", "firstVatMs"},
			{"cranks/vat", "cranksPerVat", "cranksPerVat"},
			{"deliveries", "deliveries", "deliveries"},
			{"peak RSS (bytes)", "peakRSS", ""},
		},
	}, nil
}

// dynamicRun is one timed dynamic-vat run on a fresh kernel.
func dynamicRun(ctx context.Context, m, maxOnline int) (DynamicRecord, error) {
	bk, err := newKernel("dynamic", func(c *cooper.Config) {
		if maxOnline >= 0 {
			n := uint64(maxOnline)
			c.MaxVatsOnline = &n
		}
	})
	if err != nil {
		return DynamicRecord{}, err
	}
	defer bk.Close()
	bk.Deliveries = 0
	per := make([]float64, 0, m)
	cranks := 0
	start := time.Now()
	for i := range m {
		t := time.Now()
		v, c, err := bk.Call(ctx, "bootstrap", "makeCounter", math.MaxInt32, fmt.Sprintf("c%d", i))
		if err != nil {
			return DynamicRecord{}, err
		}
		if got, ok := asNumber(v); !ok || got != 1 {
			return DynamicRecord{}, fmt.Errorf("makeCounter(c%d) = %s, want 1", i, capdata.Format(v))
		}
		cranks += c
		per = append(per, float64(time.Since(t).Nanoseconds())/1e6)
	}
	elapsed := time.Since(start)
	return DynamicRecord{
		Scenario:       "dynamic",
		Impl:           "cooper",
		M:              m,
		TotalMs:        ms(elapsed),
		MsPerVat:       round2(float64(elapsed.Nanoseconds()) / 1e6 / float64(m)),
		MedianMsPerVat: round2(median(per)),
		FirstVatMs:     round2(per[0]),
		MaxMsPerVat:    round2(slices.Max(per)),
		Cranks:         cranks,
		CranksPerVat:   round1(float64(cranks) / float64(m)),
		Deliveries:     bk.Deliveries,
		DBBytes:        bk.K.Store().DBSize(),
		PeakRSS:        PeakRSS(),
	}, nil
}
