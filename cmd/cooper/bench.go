package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/demo"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/vat"
)

// benchChildInProcess makes the restart scenario run its child phase in
// this process instead of re-executing the cooper binary. Test binaries set
// it (their os.Args[0] is not the cooper CLI); the CLI leaves it false so
// every restart is timed in a fresh process, as SwingSet's harness does.
var benchChildInProcess bool

// benchFlags are the flags shared by every bench scenario.
type benchFlags struct {
	runs        int
	vsSwingset  bool
	swingsetDir string
}

func newBenchCmd() *cobra.Command {
	bf := &benchFlags{}
	cmd := &cobra.Command{
		Use:   "bench SCENARIO",
		Short: "Time the kernel on the SwingSet comparison scenarios",
		Long: `Time the kernel on the scenarios of the SwingSet peer harness: pingpong,
dynamic, restart, and replay. Every run builds a fresh on-disk kernel in a
temporary directory. One JSON line per run goes to stdout; a table of medians
goes to stderr. With --vs-swingset the matching SwingSet scenario is run too
(via run.sh in --swingset-dir) and the table shows Cooper/SwingSet ratios.
See docs/bench.md.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			return fmt.Errorf("unknown scenario %q: want pingpong, dynamic, restart or replay", args[0])
		},
	}
	cmd.PersistentFlags().IntVar(&bf.runs, "runs", 3, "number of timed runs")
	cmd.PersistentFlags().BoolVar(&bf.vsSwingset, "vs-swingset", false, "also run the matching SwingSet scenario and compare")
	cmd.PersistentFlags().StringVar(&bf.swingsetDir, "swingset-dir", filepath.Join("..", "shared", "peer", "swingset"), "directory of the SwingSet peer harness (with run.sh)")
	cmd.AddCommand(newBenchPingPongCmd(bf), newBenchDynamicCmd(bf), newBenchRestartCmd(bf),
		newBenchReplayCmd(bf), newBenchRestartChildCmd())
	return cmd
}

// scenario is one benchmark: Cooper's runs and, optionally, SwingSet's.
type scenario struct {
	name string
	// cooper does the Cooper runs, emitting one record per run.
	cooper func(ctx context.Context, emit func(record) error) error
	// swingset is the run.sh argument list, nil when there is no counterpart.
	swingset []string
	// swingsetRuns is how many times to call run.sh (restart uses --repeat).
	swingsetRuns int
	// swingsetFix derives comparable fields from a SwingSet result.
	swingsetFix func(map[string]any)
	rows        []metricRow
}

// metricRow is one line of the median table.
type metricRow struct {
	label, cooper, swingset string
}

func (bf *benchFlags) check() error {
	if bf.runs <= 0 {
		return errors.New("--runs must be positive")
	}
	if bf.vsSwingset {
		dir, err := filepath.Abs(bf.swingsetDir)
		if err != nil {
			return err
		}
		if _, err := os.Stat(filepath.Join(dir, "run.sh")); err != nil {
			return fmt.Errorf("--vs-swingset: no SwingSet peer harness at %s (no run.sh there); set --swingset-dir", dir)
		}
		bf.swingsetDir = dir
	}
	return nil
}

// runScenario runs s and prints its JSON lines and tables.
func runScenario(ctx context.Context, bf *benchFlags, s scenario, stdout, stderr io.Writer) error {
	if err := bf.check(); err != nil {
		return err
	}
	if bf.vsSwingset && s.swingset == nil {
		return fmt.Errorf("--vs-swingset: %s has no SwingSet counterpart", s.name)
	}
	var recs []record
	err := s.cooper(ctx, func(r record) error {
		recs = append(recs, r)
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	})
	if err != nil {
		return err
	}
	cooperMed := medians(recs, s.rows, func(m metricRow) string { return m.cooper })
	if !bf.vsSwingset {
		printTable(stderr, s.name, len(recs), s.rows, cooperMed, nil)
		return nil
	}
	var ss []record
	runs := s.swingsetRuns
	if runs == 0 {
		runs = bf.runs
	}
	for i := 1; i <= runs; i++ {
		fmt.Fprintf(stderr, "swingset: bash run.sh %s (run %d/%d)\n", strings.Join(s.swingset, " "), i, runs)
		line, err := runSwingset(ctx, bf.swingsetDir, s.swingset)
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			return fmt.Errorf("swingset: bad JSON line %q: %w", line, err)
		}
		if s.swingsetFix != nil {
			s.swingsetFix(m)
		}
		r := record{}
		r.set("impl", "swingset")
		r.set("run", i)
		for _, k := range jsonKeys(line) {
			if k != "impl" && k != "run" {
				r.set(k, m[k])
			}
		}
		for _, k := range slices.Sorted(maps.Keys(m)) { // fields swingsetFix added
			if _, ok := r.vals[k]; !ok {
				r.set(k, m[k])
			}
		}
		ss = append(ss, r)
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", b)
	}
	ssMed := medians(ss, s.rows, func(m metricRow) string { return m.swingset })
	for _, side := range []struct {
		impl string
		rows func(metricRow) string
		med  map[string]float64
	}{
		{"cooper", func(m metricRow) string { return m.cooper }, cooperMed},
		{"swingset", func(m metricRow) string { return m.swingset }, ssMed},
	} {
		r := record{}
		r.set("scenario", s.name)
		r.set("impl", side.impl)
		r.set("stat", "median")
		for _, row := range s.rows {
			if k := side.rows(row); k != "" {
				if v, ok := side.med[k]; ok {
					r.set(k, round1(v))
				}
			}
		}
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", b)
	}
	printTable(stderr, s.name, len(recs), s.rows, cooperMed, ssMed)
	return nil
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

// jsonKeys lists the top-level keys of a JSON object in their order.
func jsonKeys(obj string) []string {
	dec := json.NewDecoder(strings.NewReader(obj))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return keys
		}
		k, _ := t.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return keys
		}
	}
	return keys
}

// record is a JSON object that keeps its keys in insertion order.
type record struct {
	keys []string
	vals map[string]any
}

func (r *record) set(k string, v any) {
	if r.vals == nil {
		r.vals = map[string]any{}
	}
	if _, ok := r.vals[k]; !ok {
		r.keys = append(r.keys, k)
	}
	r.vals[k] = v
}

// MarshalJSON writes the fields in the order they were set.
func (r record) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range r.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		vb, err := json.Marshal(r.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// number reads a numeric field.
func (r record) number(k string) (float64, bool) {
	switch v := r.vals[k].(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case uint64:
		return float64(v), true
	}
	return 0, false
}

// medians computes, for each row, the median of the field key(row) over recs.
func medians(recs []record, rows []metricRow, key func(metricRow) string) map[string]float64 {
	out := map[string]float64{}
	for _, row := range rows {
		k := key(row)
		if k == "" {
			continue
		}
		var xs []float64
		for _, r := range recs {
			if v, ok := r.number(k); ok {
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

// printTable writes the median table; ss is nil without --vs-swingset.
func printTable(w io.Writer, name string, runs int, rows []metricRow, coop, ss map[string]float64) {
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
		c, cv, cok := cell(coop, row.cooper)
		if ss == nil {
			if cok {
				fmt.Fprintf(tw, "%s\t%s\t\n", row.label, c)
			}
			continue
		}
		s, sv, sok := cell(ss, row.swingset)
		ratio := "-"
		if cok && sok && sv != 0 {
			ratio = fmt.Sprintf("%.2f", cv/sv)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", row.label, c, s, ratio)
	}
	tw.Flush()
}

func fmtNum(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// peakRSS is the process's peak resident set size in bytes.
func peakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return int64(ru.Maxrss) * 1024 // Linux reports KiB
}

func ms(d time.Duration) float64 { return round1(float64(d.Nanoseconds()) / 1e6) }

func perSec(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return round1(float64(n) / d.Seconds())
}

// benchKernel is a fresh on-disk kernel made from one of the demo configs.
type benchKernel struct {
	k          *kernel.Kernel
	base, dir  string
	deliveries int
}

// newBenchKernel copies the demo sources to a temporary directory, creates a
// kernel from demo/<name>/config.json, runs its bootstrap and commits.
func newBenchKernel(name string) (*benchKernel, error) {
	base, err := os.MkdirTemp("", "cooper-bench-")
	if err != nil {
		return nil, err
	}
	bk := &benchKernel{base: base, dir: filepath.Join(base, "kernel")}
	if err := bk.init(name); err != nil {
		bk.close()
		return nil, err
	}
	return bk, nil
}

func (bk *benchKernel) init(name string) error {
	src := filepath.Join(bk.base, "src")
	if err := os.CopyFS(src, demo.FS); err != nil {
		return err
	}
	cfg, err := cooper.ReadConfig(filepath.Join(src, name, "config.json"))
	if err != nil {
		return err
	}
	k, err := cooper.Init(bk.dir, cfg, cooper.Options{Observer: func(e kernel.Event) {
		if e.Type == "deliver" {
			bk.deliveries++
		}
	}})
	if err != nil {
		return err
	}
	bk.k = k
	if _, err := k.Run(kernel.UntilEmpty()); err != nil {
		return err
	}
	return k.Commit()
}

// shutdown closes the kernel, keeping its directory.
func (bk *benchKernel) shutdown() error {
	if bk.k == nil {
		return nil
	}
	err := bk.k.Close()
	bk.k = nil
	return err
}

// close closes the kernel and removes its directory.
func (bk *benchKernel) close() {
	bk.shutdown()
	os.RemoveAll(bk.base)
}

// call queues method on vat's root, runs until the queue is empty
// committing every commitEvery cranks, and returns the result.
func (bk *benchKernel) call(ctx context.Context, vatName, method string, commitEvery int, args ...capdata.Value) (capdata.Value, int, error) {
	kp, err := bk.k.QueueToVatRoot(vatName, method, args)
	if err != nil {
		return nil, 0, err
	}
	cranks, err := runBlocks(ctx, bk.k, commitEvery)
	if err != nil {
		return nil, cranks, err
	}
	v, err := bk.result(kp, vatName, method)
	return v, cranks, err
}

// result reads kp's resolution, releases kp, and fails if it was rejected.
func (bk *benchKernel) result(kp vat.KRef, vatName, method string) (capdata.Value, error) {
	rejected, v, err := bk.k.KPResolution(kp)
	if err != nil {
		return nil, fmt.Errorf("%s.%s: %w", vatName, method, err)
	}
	if rejected {
		return nil, fmt.Errorf("%s.%s rejected: %s", vatName, method, capdata.Format(v))
	}
	if err := bk.k.ReleaseKP(kp); err != nil {
		return nil, err
	}
	return v, nil
}

func newBenchPingPongCmd(bf *benchFlags) *cobra.Command {
	var n, commitEvery int
	var mode, vats string
	cmd := &cobra.Command{
		Use:   "pingpong",
		Short: "Time alice.sequential(N) or alice.concurrent(N) between two vats",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n <= 0 || commitEvery <= 0 {
				return errors.New("--n and --commit-every must be positive")
			}
			if mode != "sequential" && mode != "concurrent" {
				return fmt.Errorf("--mode %q: want sequential or concurrent", mode)
			}
			demoDir := map[string]string{"js": "pingpong", "go": "go-pingpong"}[vats]
			if demoDir == "" {
				return fmt.Errorf("--vats %q: want js or go", vats)
			}
			s := scenario{
				name: "pingpong",
				cooper: func(ctx context.Context, emit func(record) error) error {
					for run := 1; run <= bf.runs; run++ {
						r, err := benchPingPong(ctx, demoDir, vats, mode, n, commitEvery)
						if err != nil {
							return fmt.Errorf("pingpong run %d: %w", run, err)
						}
						r.vals["run"] = run
						if err := emit(r); err != nil {
							return err
						}
					}
					return nil
				},
				// Go vats have no SwingSet counterpart: compare with the JS ping-pong.
				swingset: []string{"pingpong.js", fmt.Sprintf("--n=%d", n), "--mode=" + mode,
					"--manager=local", fmt.Sprintf("--commitEvery=%d", commitEvery)},
				rows: []metricRow{
					{"totalMs", "totalMs", "totalMs"},
					{"deliveries", "deliveries", "deliveries"},
					{"cranks", "cranks", "cranks"},
					{"deliveries/s", "deliveriesPerSec", "deliveriesPerSec"},
					{"cranks/s", "cranksPerSec", "cranksPerSec"},
					{"DB bytes/delivery", "dbBytesPerDelivery", ""},
					{"peak RSS (bytes)", "peakRSS", ""},
				},
			}
			return runScenario(cmd.Context(), bf, s, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().IntVar(&n, "n", 10000, "round trips")
	cmd.Flags().StringVar(&mode, "mode", "sequential", "sequential (await each ping) or concurrent (send all, then await all)")
	cmd.Flags().StringVar(&vats, "vats", "js", "js (demo/pingpong) or go (demo/go-pingpong)")
	cmd.Flags().IntVar(&commitEvery, "commit-every", 1000, "commit a block every K cranks")
	return cmd
}

// benchPingPong is one timed ping-pong run on a fresh kernel.
func benchPingPong(ctx context.Context, demoDir, vats, mode string, n, commitEvery int) (record, error) {
	bk, err := newBenchKernel(demoDir)
	if err != nil {
		return record{}, err
	}
	defer bk.close()
	dbBefore := bk.k.Store().DBSize()
	bk.deliveries = 0
	start := time.Now()
	v, cranks, err := bk.call(ctx, "alice", mode, commitEvery, float64(n))
	elapsed := time.Since(start)
	if err != nil {
		return record{}, err
	}
	if got, ok := asNumber(v); !ok || got != float64(n) {
		return record{}, fmt.Errorf("alice.%s(%d) = %s, want %d", mode, n, capdata.Format(v), n)
	}
	dbAfter := bk.k.Store().DBSize()
	r := record{}
	r.set("scenario", "pingpong")
	r.set("impl", "cooper")
	r.set("vats", vats)
	r.set("mode", mode)
	r.set("n", n)
	r.set("commitEvery", commitEvery)
	r.set("run", 0)
	r.set("totalMs", ms(elapsed))
	r.set("deliveries", bk.deliveries)
	r.set("cranks", cranks)
	r.set("deliveriesPerSec", perSec(bk.deliveries, elapsed))
	r.set("cranksPerSec", perSec(cranks, elapsed))
	perDelivery := 0.0
	if bk.deliveries > 0 {
		perDelivery = round1(float64(dbAfter-dbBefore) / float64(bk.deliveries))
	}
	r.set("dbBytesPerDelivery", perDelivery)
	r.set("dbBytes", dbAfter)
	r.set("peakRSS", peakRSS())
	return r, nil
}

func newBenchDynamicCmd(bf *benchFlags) *cobra.Command {
	var m int
	cmd := &cobra.Command{
		Use:   "dynamic",
		Short: "Time creating M dynamic vats from a bundle, one message and one commit each",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if m <= 0 {
				return errors.New("--m must be positive")
			}
			s := scenario{
				name: "dynamic",
				cooper: func(ctx context.Context, emit func(record) error) error {
					for run := 1; run <= bf.runs; run++ {
						r, err := benchDynamic(ctx, m)
						if err != nil {
							return fmt.Errorf("dynamic run %d: %w", run, err)
						}
						r.vals["run"] = run
						if err := emit(r); err != nil {
							return err
						}
					}
					return nil
				},
				swingset: []string{"dynamic.js", fmt.Sprintf("--m=%d", m), "--manager=local"},
				rows: []metricRow{
					{"totalMs", "totalMs", "totalMs"},
					{"ms/vat (mean)", "msPerVat", "msPerVat"},
					{"ms/vat (median)", "medianMsPerVat", "medianMsPerVat"},
					{"first vat ms", "firstVatMs", "firstVatMs"},
					{"cranks/vat", "cranksPerVat", "cranksPerVat"},
					{"deliveries", "deliveries", "deliveries"},
					{"peak RSS (bytes)", "peakRSS", ""},
				},
			}
			return runScenario(cmd.Context(), bf, s, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().IntVar(&m, "m", 100, "dynamic vats to create")
	return cmd
}

// benchDynamic is one timed dynamic-vat run on a fresh kernel.
func benchDynamic(ctx context.Context, m int) (record, error) {
	bk, err := newBenchKernel("dynamic")
	if err != nil {
		return record{}, err
	}
	defer bk.close()
	bk.deliveries = 0
	per := make([]float64, 0, m)
	cranks := 0
	start := time.Now()
	for i := range m {
		t := time.Now()
		v, c, err := bk.call(ctx, "bootstrap", "makeCounter", math.MaxInt32, fmt.Sprintf("c%d", i))
		if err != nil {
			return record{}, err
		}
		if got, ok := asNumber(v); !ok || got != 1 {
			return record{}, fmt.Errorf("makeCounter(c%d) = %s, want 1", i, capdata.Format(v))
		}
		cranks += c
		per = append(per, float64(time.Since(t).Nanoseconds())/1e6)
	}
	elapsed := time.Since(start)
	r := record{}
	r.set("scenario", "dynamic")
	r.set("impl", "cooper")
	r.set("m", m)
	r.set("run", 0)
	r.set("totalMs", ms(elapsed))
	r.set("msPerVat", math.Round(float64(elapsed.Nanoseconds())/1e6/float64(m)*100)/100)
	r.set("medianMsPerVat", math.Round(median(per)*100)/100)
	r.set("firstVatMs", math.Round(per[0]*100)/100)
	r.set("maxMsPerVat", math.Round(slices.Max(per)*100)/100)
	r.set("cranks", cranks)
	r.set("cranksPerVat", round1(float64(cranks)/float64(m)))
	r.set("deliveries", bk.deliveries)
	r.set("dbBytes", bk.k.Store().DBSize())
	r.set("peakRSS", peakRSS())
	return r, nil
}

// counterKernel makes the restart/replay kernel: demo/dynamic with one
// dynamic vat "counter" incremented n times in all (makeCounter, then n-1
// bootstrap.bump calls queued up to 1000 per block), committed and closed.
func counterKernel(ctx context.Context, n int) (*benchKernel, time.Duration, error) {
	start := time.Now()
	bk, err := newBenchKernel("dynamic")
	if err != nil {
		return nil, 0, err
	}
	v, _, err := bk.call(ctx, "bootstrap", "makeCounter", 1000, "counter")
	if err != nil {
		bk.close()
		return nil, 0, err
	}
	count, _ := asNumber(v)
	const batch = 1000
	for done := 1; done < n; {
		k := min(batch, n-done)
		kps := make([]vat.KRef, k)
		for i := range kps {
			if kps[i], err = bk.k.QueueToVatRoot("bootstrap", "bump", []capdata.Value{"counter"}); err != nil {
				bk.close()
				return nil, 0, err
			}
		}
		if _, err := runBlocks(ctx, bk.k, 1000); err != nil {
			bk.close()
			return nil, 0, err
		}
		for _, kp := range kps {
			if v, err = bk.result(kp, "bootstrap", "bump"); err != nil {
				bk.close()
				return nil, 0, err
			}
		}
		count, _ = asNumber(v)
		done += k
	}
	if count != float64(n) {
		bk.close()
		return nil, 0, fmt.Errorf("counter = %v after setup, want %d", count, n)
	}
	if err := bk.k.Commit(); err != nil {
		bk.close()
		return nil, 0, err
	}
	if err := bk.shutdown(); err != nil {
		bk.close()
		return nil, 0, err
	}
	return bk, time.Since(start), nil
}

func newBenchRestartCmd(bf *benchFlags) *cobra.Command {
	var n int
	cmd := &cobra.Command{
		Use:   "restart",
		Short: "Time reopening a kernel (transcript replay) plus one message, in a fresh process",
		Long: `Set up a kernel with one dynamic counter vat incremented N times, then,
--runs times, on a fresh copy of its directory and in a fresh process
(cooper bench restart-child), time cooper.Open (which replays every vat's
transcript) plus one bump, which must answer N+1 and is not committed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n <= 0 {
				return errors.New("--n must be positive")
			}
			s := scenario{
				name: "restart",
				cooper: func(ctx context.Context, emit func(record) error) error {
					return benchRestart(ctx, n, bf.runs, cmd.ErrOrStderr(), emit)
				},
				// restart.js sets up once and restarts --repeat times in fresh
				// processes, reporting medians: one call does all the runs.
				swingset:     []string{"restart.js", fmt.Sprintf("--n=%d", n), "--manager=local", "--reapInterval=never", fmt.Sprintf("--repeat=%d", bf.runs)},
				swingsetRuns: 1,
				swingsetFix:  fixSwingsetRestart,
				rows: []metricRow{
					{"restartMs (open+replay+1st msg)", "reopenMs", "restartMs"},
					{"open+replay ms", "openMs", "constructMs"},
					{"first message ms", "firstRunMs", "firstRunMs"},
					{"replayed deliveries", "replayedDeliveries", "replayedDeliveries"},
					{"setupMs", "setupMs", "setupMs"},
					{"child peak RSS (bytes)", "childPeakRSS", ""},
				},
			}
			return runScenario(cmd.Context(), bf, s, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().IntVar(&n, "n", 10000, "counter increments before the restart")
	return cmd
}

// fixSwingsetRestart adds constructMs (open store + controller, which
// replays) and replayedDeliveries (summed over vats) to a restart.js result.
func fixSwingsetRestart(m map[string]any) {
	open, _ := m["openStoreMs"].(float64)
	ctrl, ok := m["controllerMs"].(float64)
	if ok {
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

func benchRestart(ctx context.Context, n, runs int, stderr io.Writer, emit func(record) error) error {
	bk, setup, err := counterKernel(ctx, n)
	if err != nil {
		return fmt.Errorf("restart setup: %w", err)
	}
	defer bk.close()
	for run := 1; run <= runs; run++ {
		copyDir := filepath.Join(bk.base, fmt.Sprintf("restart-%d", run))
		if err := os.CopyFS(copyDir, os.DirFS(bk.dir)); err != nil {
			return err
		}
		var out bytes.Buffer
		if benchChildInProcess {
			err = runRestartChild(ctx, copyDir, n+1, &out)
		} else {
			err = execRestartChild(ctx, copyDir, n+1, &out, stderr)
		}
		os.RemoveAll(copyDir)
		if err != nil {
			return fmt.Errorf("restart run %d: %w", run, err)
		}
		var child map[string]any
		line := lastJSONLine(out.Bytes())
		if err := json.Unmarshal([]byte(line), &child); err != nil {
			return fmt.Errorf("restart run %d: child printed %q: %w", run, out.String(), err)
		}
		r := record{}
		r.set("scenario", "restart")
		r.set("impl", "cooper")
		r.set("n", n)
		r.set("run", run)
		r.set("inProcess", benchChildInProcess)
		for _, k := range []string{"reopenMs", "openMs", "firstRunMs", "replayedDeliveries", "counterAfterRestart"} {
			r.set(k, child[k])
		}
		r.set("setupMs", ms(setup))
		r.set("childPeakRSS", child["peakRSS"])
		if err := emit(r); err != nil {
			return err
		}
	}
	return nil
}

// execRestartChild runs `cooper bench restart-child` in a fresh process.
func execRestartChild(ctx context.Context, dir string, expect int, stdout, stderr io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	c := exec.CommandContext(ctx, exe, "bench", "restart-child", "--dir", dir, "--expect", fmt.Sprint(expect))
	c.Stdout, c.Stderr = stdout, stderr
	if err := c.Run(); err != nil {
		return fmt.Errorf("%s bench restart-child: %w", exe, err)
	}
	return nil
}

func newBenchRestartChildCmd() *cobra.Command {
	var dir string
	var expect int
	cmd := &cobra.Command{
		Use:    "restart-child",
		Short:  "The timed child phase of `cooper bench restart` (internal)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRestartChild(cmd.Context(), dir, expect, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "kernel directory")
	cmd.Flags().IntVar(&expect, "expect", 0, "the answer the bump must give")
	cmd.MarkFlagRequired("dir")
	return cmd
}

// runRestartChild opens the kernel in dir (replaying every vat), sends
// bootstrap.bump("counter") without committing, and prints one JSON line.
func runRestartChild(ctx context.Context, dir string, expect int, stdout io.Writer) error {
	replayed := 0
	start := time.Now()
	k, err := cooper.Open(dir, cooper.Options{Observer: func(e kernel.Event) {
		if e.Type == "replay-finish" {
			replayed += int(e.Deliveries)
		}
	}})
	if err != nil {
		return err
	}
	defer k.Close()
	opened := time.Now()
	bk := &benchKernel{k: k}
	kp, err := k.QueueToVatRoot("bootstrap", "bump", []capdata.Value{"counter"})
	if err != nil {
		return err
	}
	if _, err := k.Run(kernel.UntilEmpty()); err != nil {
		return err
	}
	done := time.Now()
	v, err := bk.result(kp, "bootstrap", "bump")
	if err != nil {
		return err
	}
	got, _ := asNumber(v)
	if expect != 0 && got != float64(expect) {
		return fmt.Errorf("bump after restart = %s, want %d", capdata.Format(v), expect)
	}
	r := record{}
	r.set("phase", "restart-child")
	r.set("reopenMs", ms(done.Sub(start)))
	r.set("openMs", ms(opened.Sub(start)))
	r.set("firstRunMs", ms(done.Sub(opened)))
	r.set("replayedDeliveries", replayed)
	r.set("counterAfterRestart", got)
	r.set("peakRSS", peakRSS())
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", b)
	return err
}

func newBenchReplayCmd(bf *benchFlags) *cobra.Command {
	var n int
	cmd := &cobra.Command{
		Use:   "replay",
		Short: "Time cooper.Verify (transcript replay in scratch workers) over the restart kernel",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n <= 0 {
				return errors.New("--n must be positive")
			}
			s := scenario{
				name: "replay",
				cooper: func(ctx context.Context, emit func(record) error) error {
					return benchReplay(ctx, n, bf.runs, emit)
				},
				rows: []metricRow{
					{"totalMs", "totalMs", ""},
					{"deliveries", "deliveries", ""},
					{"deliveries/s", "deliveriesPerSec", ""},
					{"peak RSS (bytes)", "peakRSS", ""},
				},
			}
			return runScenario(cmd.Context(), bf, s, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().IntVar(&n, "n", 10000, "counter increments in the kernel replayed")
	return cmd
}

func benchReplay(ctx context.Context, n, runs int, emit func(record) error) error {
	bk, _, err := counterKernel(ctx, n)
	if err != nil {
		return fmt.Errorf("replay setup: %w", err)
	}
	defer bk.close()
	for run := 1; run <= runs; run++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		deliveries, vats := 0, 0
		var firstErr error
		start := time.Now()
		ok, err := cooper.Verify(bk.dir, cooper.Options{}, nil, func(r kernel.VerifyResult) {
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
			return fmt.Errorf("replay diverged: %v", firstErr)
		}
		r := record{}
		r.set("scenario", "replay")
		r.set("impl", "cooper")
		r.set("n", n)
		r.set("run", run)
		r.set("vats", vats)
		r.set("totalMs", ms(elapsed))
		r.set("deliveries", deliveries)
		r.set("deliveriesPerSec", perSec(deliveries, elapsed))
		r.set("peakRSS", peakRSS())
		if err := emit(r); err != nil {
			return err
		}
	}
	return nil
}

// asNumber reads a capdata number.
func asNumber(v capdata.Value) (float64, bool) {
	f, ok := v.(float64)
	return f, ok
}
