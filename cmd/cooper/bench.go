package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/cooper-kernel/cooper/internal/bench"
)

// benchChildInProcess makes the restart scenario run its child phase in
// this process instead of re-executing the cooper binary. Test binaries set
// it (their os.Args[0] is not the cooper CLI); the CLI leaves it false so
// every restart is timed in a fresh process, as SwingSet's harness does.
var benchChildInProcess bool

func newBenchCmd() *cobra.Command {
	f := &bench.Flags{}
	cmd := &cobra.Command{
		Use:   "bench SCENARIO",
		Short: "Time the kernel on the SwingSet comparison scenarios",
		Long: `Time the kernel on the scenarios of the SwingSet peer harness: pingpong,
dynamic, restart, and replay, plus idle (resident memory per idle vat). Every run builds a fresh on-disk kernel in a
temporary directory. One JSON line per run goes to stdout; a table of medians
goes to stderr. With --vs-swingset the matching SwingSet scenario is run too
(via run.sh in --swingset-dir) and the table shows Cooper/SwingSet ratios.
See docs/bench.md.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			return fmt.Errorf("unknown scenario %q: want pingpong, dynamic, restart, replay or idle", args[0])
		},
	}
	cmd.PersistentFlags().IntVar(&f.Runs, "runs", 3, "number of timed runs")
	cmd.PersistentFlags().BoolVar(&f.VsSwingset, "vs-swingset", false, "also run the matching SwingSet scenario and compare")
	cmd.PersistentFlags().StringVar(&f.SwingsetDir, "swingset-dir", filepath.Join("..", "shared", "peer", "swingset"), "directory of the SwingSet peer harness (with run.sh)")
	cmd.AddCommand(newBenchPingPongCmd(f), newBenchDynamicCmd(f), newBenchRestartCmd(f),
		newBenchReplayCmd(f), newBenchIdleCmd(f), newBenchRestartChildCmd())
	return cmd
}

// runBench runs the scenario make returns, or its error.
func runBench(cmd *cobra.Command, f *bench.Flags, s bench.Scenario, err error) error {
	if err != nil {
		return err
	}
	return bench.Run(cmd.Context(), *f, s, cmd.OutOrStdout(), cmd.ErrOrStderr())
}

func newBenchPingPongCmd(f *bench.Flags) *cobra.Command {
	var n, commitEvery int
	var mode, vats string
	cmd := &cobra.Command{
		Use:   "pingpong",
		Short: "Time alice.sequential(N) or alice.concurrent(N) between two vats",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := bench.PingPong(*f, vats, mode, n, commitEvery)
			return runBench(cmd, f, s, err)
		},
	}
	cmd.Flags().IntVar(&n, "n", 10000, "round trips")
	cmd.Flags().StringVar(&mode, "mode", "sequential", "sequential (await each ping) or concurrent (send all, then await all)")
	cmd.Flags().StringVar(&vats, "vats", "js", "js (demo/pingpong) or go (demo/go-pingpong)")
	cmd.Flags().IntVar(&commitEvery, "commit-every", 1000, "commit a block every K cranks")
	return cmd
}

func newBenchDynamicCmd(f *bench.Flags) *cobra.Command {
	var m, maxOnline int
	cmd := &cobra.Command{
		Use:   "dynamic",
		Short: "Time creating M dynamic vats from a bundle, one message and one commit each",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := bench.Dynamic(*f, m, maxOnline)
			return runBench(cmd, f, s, err)
		},
	}
	cmd.Flags().IntVar(&m, "m", 100, "dynamic vats to create")
	cmd.Flags().IntVar(&maxOnline, "max-online", -1, "maxVatsOnline (-1: the config default, 50; 0: no limit)")
	return cmd
}

func newBenchRestartCmd(f *bench.Flags) *cobra.Command {
	var n int
	var ro bench.RestartOptions
	cmd := &cobra.Command{
		Use:   "restart",
		Short: "Time reopening a kernel (transcript replay) plus one message, in a fresh process",
		Long: `Set up a kernel with one dynamic counter vat incremented N times, then,
--runs times, on a fresh copy of its directory and in a fresh process
(cooper bench restart-child), time cooper.Open (which restores each vat's
heap snapshot, if it has one, and replays its transcript since) plus one
bump, which must answer N+1 and is not committed.

  --base B   also restart a kernel bumped B times, and report the ratio of
             the two restart times (restart flat in history: close to 1)
  --crash    end the setup as a crash after the last commit: no heap
             snapshots at close, so wasm vats load their last periodic
             snapshot and replay the deliveries since`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var child bench.Child = execRestartChild(cmd.ErrOrStderr())
			if benchChildInProcess {
				child = nil
			}
			s, err := bench.Restart(*f, n, child, ro)
			return runBench(cmd, f, s, err)
		},
	}
	cmd.Flags().IntVar(&n, "n", 10000, "counter increments before the restart")
	cmd.Flags().IntVar(&ro.Base, "base", 0, "also restart after this many increments and report the ratio")
	cmd.Flags().BoolVar(&ro.Crash, "crash", false, "no heap snapshots at close: restart from the last periodic ones")
	return cmd
}

// execRestartChild runs `cooper bench restart-child` in a fresh process.
func execRestartChild(stderr io.Writer) bench.Child {
	return func(ctx context.Context, dir string, expect int, stdout io.Writer) error {
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
}

func newBenchIdleCmd(f *bench.Flags) *cobra.Command {
	var m int
	var maxOnline uint64
	cmd := &cobra.Command{
		Use:   "idle",
		Short: "Resident memory per idle dynamic vat, with lazy loading (maxVatsOnline)",
		Long: `Make M dynamic counter vats (one message each) in a kernel that keeps at most
--max-online of the vats taking heap snapshots online (0: all), then report
the resident memory per vat (after a GC, against the kernel before) and how
long the first vat, paged out by then, takes to answer one message. Use it
with COOPER_JS_WORKER=wasm: goja vats take no snapshots and never page out.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := bench.Idle(*f, m, maxOnline)
			return runBench(cmd, f, s, err)
		},
	}
	cmd.Flags().IntVar(&m, "m", 100, "dynamic vats to create")
	cmd.Flags().Uint64Var(&maxOnline, "max-online", 10, "maxVatsOnline (0: no limit)")
	return cmd
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
			return bench.RestartChild(cmd.Context(), dir, expect, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "kernel directory")
	cmd.Flags().IntVar(&expect, "expect", 0, "the answer the bump must give")
	cmd.MarkFlagRequired("dir")
	return cmd
}

func newBenchReplayCmd(f *bench.Flags) *cobra.Command {
	var n int
	cmd := &cobra.Command{
		Use:   "replay",
		Short: "Time cooper.Verify (transcript replay in scratch workers) over the restart kernel",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := bench.Replay(*f, n)
			return runBench(cmd, f, s, err)
		},
	}
	cmd.Flags().IntVar(&n, "n", 10000, "counter increments in the kernel replayed")
	return cmd
}
