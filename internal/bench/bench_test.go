package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(tc.xs); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
}

// TestRunPrintsRecordsAndMedians: each record is one JSON line with the
// struct's field names, and the table shows the median of each row's field.
func TestRunPrintsRecordsAndMedians(t *testing.T) {
	s := Scenario{
		Name: "fake",
		Cooper: func(_ context.Context, emit func(any) error) error {
			for i, ms := range []float64{30, 10, 20} {
				if err := emit(ReplayRecord{Scenario: "fake", Impl: "cooper", Run: i + 1, TotalMs: ms}); err != nil {
					return err
				}
			}
			return nil
		},
		Rows: []Row{{"total ms", "totalMs", ""}, {"absent", "noSuchField", ""}},
	}
	var out, table bytes.Buffer
	if err := Run(context.Background(), Flags{Runs: 3}, s, &out, &table); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines:\n%s", len(lines), out.String())
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &r); err != nil || r["totalMs"] != 10.0 || r["run"] != 2.0 || r["scenario"] != "fake" {
		t.Fatalf("line 2 = %s (%v)", lines[1], err)
	}
	if !strings.Contains(table.String(), "total ms") || !strings.Contains(table.String(), "20") || strings.Contains(table.String(), "absent") {
		t.Fatalf("table:\n%s", table.String())
	}
}

func TestFixSwingsetRestart(t *testing.T) {
	m := map[string]any{"openStoreMs": 10.0, "controllerMs": 1000.0,
		"vatsAtRestart": map[string]any{"v1": map[string]any{"replay": 57.0}, "v3": map[string]any{"replay": 51.0}}}
	fixSwingsetRestart(m)
	if m["constructMs"] != 1010.0 || m["replayedDeliveries"] != 108.0 {
		t.Fatalf("%v", m)
	}
}

func TestPeakRSS(t *testing.T) {
	if got := PeakRSS(); runtime.GOOS == "linux" && got < 1<<20 {
		t.Fatalf("PeakRSS() = %d on Linux, want at least 1 MiB", got)
	}
}
