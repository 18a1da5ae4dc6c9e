package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/chain/app"
	"github.com/cooper-kernel/cooper/chain/client"
	"github.com/cooper-kernel/cooper/chain/node"
	"github.com/cooper-kernel/cooper/chain/tx"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/vat"
)

// benchOptions shape cooperd bench.
type benchOptions struct {
	validators int
	calls      int // throughput: calls in flight at once
	sequential int // latency: calls one after the other
	method     string
	args       []string
	keep       bool
	timeouts   node.Timeouts
}

func newBenchCmd() *cobra.Command {
	o := benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench CONFIG.json",
		Short: "Measure calls per second and per-call latency on a local network",
		Long: `Create a scratch testnet from CONFIG.json, start its validators as separate
cooperd processes on 127.0.0.1 with the short testnet timeouts, and measure:

  latency     --sequential calls one after the other (sign, broadcast, wait
              for the committed result), median and 90th percentile, next to
              the same calls on a single in-process kernel (queue, run,
              commit: what cooper call does once its kernel is open);
  throughput  --calls calls broadcast back to back, and the time until the
              last result is committed: calls committed per second.

Every call is METHOD(ARG...) to the bootstrap vat (default: incr, as on
chain/testdata/counter/config.json). Prints one JSON line per measure, then a summary.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBench(cmd.Context(), args[0], o, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.validators, "validators", 4, "validators (separate processes)")
	f.IntVar(&o.calls, "calls", 1000, "calls for the throughput measure")
	f.IntVar(&o.sequential, "sequential", 100, "calls for the latency measure")
	f.StringVar(&o.method, "method", "incr", "method of the bootstrap vat to call")
	f.StringSliceVar(&o.args, "arg", nil, "argument of each call (repeat for more; JSON when it parses)")
	f.BoolVar(&o.keep, "keep", false, "keep the scratch testnet directory")
	o.timeouts = node.ShortTimeouts
	f.DurationVar(&o.timeouts.Commit, "timeout-commit", node.ShortTimeouts.Commit, "pause after each block")
	f.DurationVar(&o.timeouts.Propose, "timeout-propose", node.ShortTimeouts.Propose, "wait for a proposal")
	return cmd
}

// benchResult is one JSON line of cooperd bench.
type benchResult struct {
	Measure    string  `json:"measure"`
	Validators int     `json:"validators,omitempty"`
	Calls      int     `json:"calls"`
	Seconds    float64 `json:"seconds,omitempty"`
	PerSecond  float64 `json:"callsPerSecond,omitempty"`
	MedianMs   float64 `json:"medianMs,omitempty"`
	P90Ms      float64 `json:"p90Ms,omitempty"`
	Blocks     int64   `json:"blocks,omitempty"`
}

func runBench(ctx context.Context, config string, o benchOptions, out io.Writer) error {
	args := make([]capdata.Value, len(o.args))
	for i, a := range o.args {
		v, err := cooper.ParseCallArg(a)
		if err != nil {
			return err
		}
		args[i] = v
	}
	dir, err := os.MkdirTemp("", "cooperd-bench-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	cfg, err := cooper.ReadConfig(config)
	if err != nil {
		return err
	}
	single, err := benchKernel(filepath.Join(dir, "single"), cfg, o, args)
	if err != nil {
		return fmt.Errorf("single kernel: %w", err)
	}
	m, err := node.Testnet(filepath.Join(dir, "net"), config, node.TestnetOptions{Validators: o.validators, Timeouts: o.timeouts})
	if err != nil {
		return err
	}
	stop, err := startNodes(filepath.Join(dir, "net"), m)
	defer stop()
	if err != nil {
		return err
	}
	key, err := tx.ReadKey(filepath.Join(dir, "net", node.ClientKeyName))
	if err != nil {
		return err
	}
	var clients []*client.Client
	for _, n := range m.Nodes {
		c, err := client.New(n.RPC, key, m.ChainID)
		if err != nil {
			return err
		}
		clients = append(clients, c)
	}
	chain, err := benchChain(ctx, clients, cfg.Bootstrap, o, args)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	for _, r := range append(single, chain...) {
		enc.Encode(r)
	}
	fmt.Fprintf(out, "\n%-38s %10s %10s %10s\n", "", "median ms", "p90 ms", "calls/s")
	for _, r := range append(single, chain...) {
		if r.Measure == "latency" {
			fmt.Fprintf(out, "%-38s %10.1f %10.1f %10s\n", r.label(), r.MedianMs, r.P90Ms, "")
		} else {
			fmt.Fprintf(out, "%-38s %10s %10s %10.0f\n", r.label(), "", "", r.PerSecond)
		}
	}
	fmt.Fprintf(out, "added latency per call, %d validators vs one kernel: %.1f ms (median)\n",
		o.validators, chain[0].MedianMs-single[0].MedianMs)
	if o.keep {
		fmt.Fprintf(out, "testnet kept in %s\n", dir)
	}
	return nil
}

func (r benchResult) label() string {
	if r.Validators == 0 {
		return fmt.Sprintf("%s, 1 kernel, %d calls", r.Measure, r.Calls)
	}
	return fmt.Sprintf("%s, %d validators, %d calls", r.Measure, r.Validators, r.Calls)
}

// benchKernel measures the same calls on one in-process kernel.
func benchKernel(dir string, cfg *cooper.Config, o benchOptions, args []capdata.Value) ([]benchResult, error) {
	k, err := cooper.Init(dir, cfg, cooper.Options{})
	if err != nil {
		return nil, err
	}
	defer k.Close()
	if _, err := k.Run(kernel.UntilEmpty()); err != nil {
		return nil, err
	}
	if err := k.Commit(); err != nil {
		return nil, err
	}
	call := func() (vat.KRef, error) { return k.QueueToVatRoot(cfg.Bootstrap, o.method, args) }
	settle := func(kp vat.KRef) error {
		if rejected, v, err := k.KPResolution(kp); err != nil || rejected {
			return fmt.Errorf("%s rejected (%v): %s", o.method, err, cooper.DescribeRejection(v))
		}
		return k.ReleaseKP(kp)
	}
	lat := make([]time.Duration, 0, o.sequential)
	for range o.sequential {
		start := time.Now()
		kp, err := call()
		if err == nil {
			_, err = k.Run(kernel.UntilEmpty())
		}
		if err == nil {
			err = settle(kp)
		}
		if err == nil {
			err = k.Commit()
		}
		if err != nil {
			return nil, err
		}
		lat = append(lat, time.Since(start))
	}
	start := time.Now()
	kps := make([]vat.KRef, o.calls)
	for i := range kps {
		if kps[i], err = call(); err != nil {
			return nil, err
		}
	}
	if _, err := k.Run(kernel.UntilEmpty()); err != nil {
		return nil, err
	}
	for _, kp := range kps {
		if err := settle(kp); err != nil {
			return nil, err
		}
	}
	if err := k.Commit(); err != nil {
		return nil, err
	}
	secs := time.Since(start).Seconds()
	return []benchResult{
		latency("latency", 0, lat),
		{Measure: "throughput", Calls: o.calls, Seconds: secs, PerSecond: float64(o.calls) / secs},
	}, nil
}

// benchSenders is how many goroutines broadcast the throughput calls.
const benchSenders = 8

// benchChain measures the calls on the network.
func benchChain(ctx context.Context, clients []*client.Client, vatName string, o benchOptions, args []capdata.Value) ([]benchResult, error) {
	c := clients[0]
	nonce, err := c.NextNonce(ctx)
	if err != nil {
		return nil, err
	}
	send := func() (string, error) {
		raw, err := c.Sign(vatName, o.method, args, nonce)
		nonce++
		if err != nil {
			return "", err
		}
		return c.Broadcast(ctx, raw)
	}
	wait := func(hash string) (*app.CallResult, error) {
		r, err := c.Wait(ctx, hash)
		if err == nil && r.Status != app.StatusFulfilled {
			err = fmt.Errorf("%s: %s %s", o.method, r.Status, r.Reason)
		}
		return r, err
	}
	lat := make([]time.Duration, 0, o.sequential)
	for range o.sequential {
		start := time.Now()
		hash, err := send()
		if err == nil {
			_, err = wait(hash)
		}
		if err != nil {
			return nil, err
		}
		lat = append(lat, time.Since(start))
	}
	// Throughput: senders broadcast the calls round-robin to every node;
	// gossip may reorder them, the proposer restores nonce order.
	start := time.Now()
	hashes := make([]string, o.calls)
	raws := make([][]byte, o.calls)
	for i := range raws {
		if raws[i], err = c.Sign(vatName, o.method, args, nonce+uint64(i)); err != nil {
			return nil, err
		}
	}
	jobs := make(chan int)
	errs := make(chan error, benchSenders)
	var wg sync.WaitGroup
	for w := range benchSenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				h, err := clients[(w+i)%len(clients)].Broadcast(ctx, raws[i])
				if err != nil {
					errs <- err
					return
				}
				hashes[i] = h
			}
		}()
	}
	for i := range raws {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	var first, last int64
	for i, h := range hashes {
		r, err := wait(h)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			first = r.Height
		}
		last = max(last, r.Settled)
	}
	secs := time.Since(start).Seconds()
	l := latency("latency", o.validators, lat)
	return []benchResult{l, {Measure: "throughput", Validators: o.validators, Calls: o.calls, Seconds: secs,
		PerSecond: float64(o.calls) / secs, Blocks: last - first + 1}}, nil
}

func latency(measure string, validators int, lat []time.Duration) benchResult {
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return benchResult{Measure: measure, Validators: validators, Calls: len(lat),
		MedianMs: ms(lat[len(lat)/2]), P90Ms: ms(lat[len(lat)*9/10])}
}

// startNodes runs every validator of the testnet in dir as a child process
// of this binary and waits until each has committed a block.
func startNodes(dir string, m *node.Manifest) (stop func(), err error) {
	self, err := os.Executable()
	if err != nil {
		return func() {}, err
	}
	var procs []*exec.Cmd
	stop = func() {
		for _, p := range procs {
			p.Process.Signal(syscall.SIGTERM)
			p.Wait()
		}
	}
	for i, n := range m.Nodes {
		log, err := os.Create(filepath.Join(dir, fmt.Sprintf("node%d.log", i)))
		if err != nil {
			return stop, err
		}
		p := exec.Command(self, "start", filepath.Join(dir, n.Home))
		p.Stdout, p.Stderr = log, log
		if err := p.Start(); err != nil {
			return stop, err
		}
		log.Close()
		procs = append(procs, p)
	}
	deadline := time.Now().Add(time.Minute)
	for i, n := range m.Nodes {
		for {
			info, err := nodeInfo(context.Background(), n.RPC, m.ChainID)
			if err == nil && info.Height >= 1 {
				break
			}
			if time.Now().After(deadline) {
				return stop, errors.Join(fmt.Errorf("node%d did not start (see %s)", i, filepath.Join(dir, fmt.Sprintf("node%d.log", i))), err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return stop, nil
}
