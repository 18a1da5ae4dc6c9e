package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Test binaries are not the cooper CLI: the restart scenario runs its child
// phase in this process.
func init() { benchChildInProcess = true }

// benchLines parses stdout as JSON lines.
func benchLines(t *testing.T, stdout string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("stdout line %q is not JSON: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// wantPositive checks that each field is a positive number.
func wantPositive(t *testing.T, m map[string]any, fields ...string) {
	t.Helper()
	for _, f := range fields {
		v, ok := m[f].(float64)
		if !ok || v <= 0 {
			t.Errorf("%s = %v, want a positive number (line %v)", f, m[f], m)
		}
	}
}

func TestBenchScenarios(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		fields []string
	}{
		{[]string{"pingpong", "--n", "50"}, []string{"totalMs", "deliveries", "cranks", "deliveriesPerSec", "cranksPerSec", "dbBytesPerDelivery", "peakRSS"}},
		{[]string{"pingpong", "--n", "50", "--vats", "go", "--mode", "concurrent", "--commit-every", "10"}, []string{"totalMs", "deliveries", "cranks", "deliveriesPerSec", "cranksPerSec", "peakRSS"}},
		{[]string{"dynamic", "--m", "3"}, []string{"totalMs", "msPerVat", "medianMsPerVat", "cranks", "deliveries", "peakRSS"}},
		{[]string{"restart", "--n", "50"}, []string{"reopenMs", "openMs", "replayedDeliveries", "counterAfterRestart", "setupMs", "childPeakRSS"}},
		{[]string{"replay", "--n", "50"}, []string{"totalMs", "deliveries", "deliveriesPerSec", "peakRSS"}},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			stdout, stderr, err := cli(t, append([]string{"bench", "--runs", "1"}, tc.args...)...)
			if err != nil {
				t.Fatalf("%v: %v\n%s", tc.args, err, stderr)
			}
			lines := benchLines(t, stdout)
			if len(lines) != 1 {
				t.Fatalf("%d JSON lines, want 1:\n%s", len(lines), stdout)
			}
			m := lines[0]
			if m["scenario"] != tc.args[0] || m["impl"] != "cooper" || m["run"] != 1.0 {
				t.Errorf("line %v: wrong scenario/impl/run", m)
			}
			wantPositive(t, m, tc.fields...)
			if !strings.Contains(stderr, "medians of 1 run") {
				t.Errorf("no median table on stderr:\n%s", stderr)
			}
		})
	}
}

func TestBenchRestartAnswersNPlusOne(t *testing.T) {
	stdout, _, err := cli(t, "bench", "restart", "--n", "20", "--runs", "2")
	if err != nil {
		t.Fatal(err)
	}
	lines := benchLines(t, stdout)
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2", len(lines))
	}
	for _, m := range lines {
		// Each restart works on a fresh copy and does not commit: always N+1.
		if m["counterAfterRestart"] != 21.0 {
			t.Errorf("counterAfterRestart = %v, want 21", m["counterAfterRestart"])
		}
	}
}

func TestBenchVsSwingsetMissingDir(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-peer")
	_, _, err := cli(t, "bench", "pingpong", "--n", "5", "--runs", "1", "--vs-swingset", "--swingset-dir", missing)
	if err == nil || !strings.Contains(err.Error(), "SwingSet peer") || !strings.Contains(err.Error(), missing) {
		t.Fatalf("err = %v, want a clear error naming %s", err, missing)
	}
}

func TestBenchReplayHasNoSwingset(t *testing.T) {
	_, _, err := cli(t, "bench", "replay", "--n", "5", "--runs", "1", "--vs-swingset", "--swingset-dir", fakePeer(t))
	if err == nil || !strings.Contains(err.Error(), "no SwingSet counterpart") {
		t.Fatalf("err = %v", err)
	}
}

// fakePeer is a SwingSet peer directory whose run.sh prints a canned result
// after some noise, like the SES console does.
func fakePeer(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	script := `#!/usr/bin/env bash
echo "SES noise" ; echo "warning" >&2
case "$1" in
pingpong.js) echo '{"scenario":"pingpong","mode":"sequential","manager":"local","n":50,"totalMs":200,"cranks":204,"deliveries":101,"cranksPerSec":1020,"deliveriesPerSec":505}' ;;
dynamic.js) echo '{"scenario":"dynamic","m":2,"totalMs":150,"msPerVat":75,"medianMsPerVat":74,"firstVatMs":80,"cranksPerVat":14,"deliveries":12}' ;;
restart.js) echo '{"scenario":"restart","n":50,"restartMs":1100,"controllerMs":1000,"openStoreMs":10,"firstRunMs":19,"setupMs":3000,"vatsAtRestart":{"v1":{"name":"bootstrap","replay":57},"v3":{"name":"dynamic","replay":51}}}' ;;
*) exit 3 ;;
esac
`
	if err := os.WriteFile(filepath.Join(dir, "run.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestBenchVsSwingsetFakePeer(t *testing.T) {
	peer := fakePeer(t)
	for _, tc := range []struct {
		args  []string
		ratio string // a table row label that must show a ratio
	}{
		{[]string{"pingpong", "--n", "50"}, "deliveries/s"},
		{[]string{"dynamic", "--m", "2"}, "ms/vat (mean)"},
		{[]string{"restart", "--n", "50"}, "replayed deliveries"},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			args := append([]string{"bench", "--runs", "1", "--vs-swingset", "--swingset-dir", peer}, tc.args...)
			stdout, stderr, err := cli(t, args...)
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			impls := map[string]int{}
			for _, m := range benchLines(t, stdout) {
				impl, _ := m["impl"].(string)
				impls[impl]++
				if impl == "swingset" && m["stat"] == nil && m["scenario"] != tc.args[0] {
					t.Errorf("swingset line %v lost its fields", m)
				}
			}
			// one run + one median line each
			if impls["cooper"] != 2 || impls["swingset"] != 2 {
				t.Errorf("lines per impl = %v\n%s", impls, stdout)
			}
			if !strings.Contains(stderr, "cooper/swingset") {
				t.Errorf("no ratio table:\n%s", stderr)
			}
			for _, l := range strings.Split(stderr, "\n") {
				if strings.Contains(l, tc.ratio) && strings.HasSuffix(strings.TrimSpace(l), "-") {
					t.Errorf("row %q has no ratio: %q", tc.ratio, l)
				}
			}
		})
	}
}

func TestBenchUnknownScenario(t *testing.T) {
	if _, _, err := cli(t, "bench", "nope"); err == nil || !strings.Contains(err.Error(), "unknown scenario") {
		t.Fatalf("err = %v", err)
	}
}

// TestBenchRestartWasmSnapshots: with the wasm worker, a restart after a
// clean close loads the JS vats' heap snapshots (one per JS vat) and
// replays none of their deliveries; after a crash (--crash) there is no
// snapshot yet below snapshotInterval deliveries, so all are replayed.
// --base reports the second restart and the ratio.
func TestBenchRestartWasmSnapshots(t *testing.T) {
	t.Setenv("COOPER_JS_WORKER", "wasm")
	for _, crash := range []bool{false, true} {
		args := []string{"bench", "restart", "--n", "30", "--base", "5", "--runs", "1"}
		if crash {
			args = append(args, "--crash")
		}
		stdout, _, err := cli(t, args...)
		if err != nil {
			t.Fatal(err)
		}
		m := benchLines(t, stdout)[0]
		loaded, replayed := m["snapshotsLoaded"], m["replayedDeliveries"].(float64)
		if m["counterAfterRestart"] != 31.0 || m["base"] != 5.0 || m["ratio"].(float64) <= 0 {
			t.Fatalf("crash=%v: %v", crash, m)
		}
		if !crash && (loaded != 2.0 || replayed > 10) || crash && (loaded != 0.0 || replayed < 60) {
			t.Fatalf("crash=%v: %v snapshots loaded, %v deliveries replayed", crash, loaded, replayed)
		}
	}
}

// TestBenchIdle: with the wasm worker and --max-online 2, the vats beyond
// two JS vats are paged out and the first one still answers.
func TestBenchIdle(t *testing.T) {
	t.Setenv("COOPER_JS_WORKER", "wasm")
	stdout, _, err := cli(t, "bench", "idle", "--m", "6", "--max-online", "2", "--runs", "1")
	if err != nil {
		t.Fatal(err)
	}
	m := benchLines(t, stdout)[0]
	if m["online"] != 3.0 || m["m"] != 6.0 { // two JS vats and the Go vat-admin vat
		t.Fatalf("%v", m)
	}
	wantPositive(t, m, "answerMs", "createMs", "dbBytes", "rss")
}
