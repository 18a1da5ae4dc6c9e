// Package bench runs the scenarios of `cooper bench`: each builds fresh
// on-disk kernels from the demo configs, times them, and emits one JSON
// record per run; [Run] prints the records, a table of medians and,
// optionally, the same scenario run by the SwingSet peer harness.
package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Flags are the settings shared by every scenario.
type Flags struct {
	// Runs is the number of timed runs.
	Runs int
	// VsSwingset also runs the SwingSet counterpart through run.sh in SwingsetDir.
	VsSwingset  bool
	SwingsetDir string
}

// Scenario is one benchmark: Cooper's runs and, optionally, SwingSet's.
type Scenario struct {
	Name string
	// Cooper does the Cooper runs, emitting one record (a struct with JSON
	// tags) per run.
	Cooper func(ctx context.Context, emit func(record any) error) error
	// Swingset is the run.sh argument list, nil when there is no counterpart.
	Swingset []string
	// SwingsetRuns is how many times to call run.sh (0: Flags.Runs).
	SwingsetRuns int
	// SwingsetFix derives comparable fields from a SwingSet result.
	SwingsetFix func(map[string]any)
	// Rows are the lines of the median table.
	Rows []Row
}

// Row is one line of the median table: a label and the JSON field it
// shows on each side ("" when that side has none).
type Row struct {
	Label, Cooper, Swingset string
}

func (f *Flags) check() error {
	if f.Runs <= 0 {
		return errors.New("--runs must be positive")
	}
	if f.VsSwingset {
		dir, err := filepath.Abs(f.SwingsetDir)
		if err != nil {
			return err
		}
		if _, err := os.Stat(filepath.Join(dir, "run.sh")); err != nil {
			return fmt.Errorf("--vs-swingset: no SwingSet peer harness at %s (no run.sh there); set --swingset-dir", dir)
		}
		f.SwingsetDir = dir
	}
	return nil
}

// Run runs s: one JSON line per run on stdout (then, with VsSwingset,
// SwingSet's runs and a median line for each side) and the median table
// on stderr.
func Run(ctx context.Context, f Flags, s Scenario, stdout, stderr io.Writer) error {
	if err := f.check(); err != nil {
		return err
	}
	if f.VsSwingset && s.Swingset == nil {
		return fmt.Errorf("--vs-swingset: %s has no SwingSet counterpart", s.Name)
	}
	var recs []map[string]any
	err := s.Cooper(ctx, func(r any) error {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		recs = append(recs, m)
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	})
	if err != nil {
		return err
	}
	cooperMed := medians(recs, s.Rows, func(r Row) string { return r.Cooper })
	if !f.VsSwingset {
		printTable(stderr, s.Name, len(recs), s.Rows, cooperMed, nil)
		return nil
	}
	var ss []map[string]any
	runs := s.SwingsetRuns
	if runs == 0 {
		runs = f.Runs
	}
	for i := 1; i <= runs; i++ {
		fmt.Fprintf(stderr, "swingset: bash run.sh %s (run %d/%d)\n", strings.Join(s.Swingset, " "), i, runs)
		line, err := runSwingset(ctx, f.SwingsetDir, s.Swingset)
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			return fmt.Errorf("swingset: bad JSON line %q: %w", line, err)
		}
		if s.SwingsetFix != nil {
			s.SwingsetFix(m)
		}
		m["impl"], m["run"] = "swingset", i
		if err := writeJSON(stdout, m); err != nil {
			return err
		}
		ss = append(ss, m)
	}
	ssMed := medians(ss, s.Rows, func(r Row) string { return r.Swingset })
	for _, side := range []struct {
		impl string
		key  func(Row) string
		med  map[string]float64
	}{
		{"cooper", func(r Row) string { return r.Cooper }, cooperMed},
		{"swingset", func(r Row) string { return r.Swingset }, ssMed},
	} {
		m := map[string]any{"scenario": s.Name, "impl": side.impl, "stat": "median"}
		for _, row := range s.Rows {
			if k := side.key(row); k != "" {
				if v, ok := side.med[k]; ok {
					m[k] = round1(v)
				}
			}
		}
		if err := writeJSON(stdout, m); err != nil {
			return err
		}
	}
	printTable(stderr, s.Name, len(recs), s.Rows, cooperMed, ssMed)
	return nil
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// runSwingset runs `bash run.sh args...` in dir and returns the last stdout
// line that starts with '{'.
func runSwingset(ctx context.Context, dir string, args []string) (string, error) {
	c := exec.CommandContext(ctx, "bash", append([]string{"run.sh"}, args...)...)
	c.Dir = dir
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	line := lastJSONLine(out.Bytes())
	if err != nil || line == "" {
		tail := errOut.String()
		if len(tail) > 2000 {
			tail = "…" + tail[len(tail)-2000:]
		}
		if err == nil {
			err = errors.New("no JSON line on stdout")
		}
		return "", fmt.Errorf("swingset: bash run.sh %s in %s: %w\n%s", strings.Join(args, " "), dir, err, tail)
	}
	return line, nil
}

// lastJSONLine returns the last line of out that starts with '{'.
func lastJSONLine(out []byte) string {
	last := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); strings.HasPrefix(l, "{") {
			last = l
		}
	}
	return last
}

// medians computes, for each row, the median of the field key(row) over recs.
func medians(recs []map[string]any, rows []Row, key func(Row) string) map[string]float64 {
	out := map[string]float64{}
	for _, row := range rows {
		k := key(row)
		if k == "" {
			continue
		}
		var xs []float64
		for _, r := range recs {
			if v, ok := r[k].(float64); ok {
				xs = append(xs, v)
			}
		}
		if len(xs) > 0 {
			out[k] = median(xs)
		}
	}
	return out
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
func round2(x float64) float64 { return math.Round(x*100) / 100 }

// printTable writes the median table; ss is nil without --vs-swingset.
func printTable(w io.Writer, name string, runs int, rows []Row, coop, ss map[string]float64) {
	fmt.Fprintf(w, "\n%s: medians of %d run(s)\n", name, runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	if ss == nil {
		fmt.Fprintf(tw, "metric\tcooper\t\n")
	} else {
		fmt.Fprintf(tw, "metric\tcooper\tswingset\tcooper/swingset\t\n")
	}
	cell := func(m map[string]float64, k string) (string, float64, bool) {
		if k == "" {
			return "-", 0, false
		}
		v, ok := m[k]
		if !ok {
			return "-", 0, false
		}
		return fmtNum(v), v, true
	}
	for _, row := range rows {
		c, cv, cok := cell(coop, row.Cooper)
		if ss == nil {
			if cok {
				fmt.Fprintf(tw, "%s\t%s\t\n", row.Label, c)
			}
			continue
		}
		s, sv, sok := cell(ss, row.Swingset)
		ratio := "-"
		if cok && sok && sv != 0 {
			ratio = fmt.Sprintf("%.2f", cv/sv)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", row.Label, c, s, ratio)
	}
	tw.Flush()
}

func fmtNum(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func ms(d time.Duration) float64 { return round1(float64(d.Nanoseconds()) / 1e6) }

func perSec(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return round1(float64(n) / d.Seconds())
}
