package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/demo"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/vat"
)

func newReplayCmd() *cobra.Command {
	var vats []string
	var full bool
	cmd := &cobra.Command{
		Use:   "replay BASEDIR [--vat vNN]... [--full]",
		Short: "Replay vat transcripts in scratch workers and verify them",
		Long: `Rebuild each selected vat (every live vat by default) in a scratch worker
from its stored source, or from its heap snapshot if it has one, and replay
its transcript from there, comparing every syscall, every syscall result and
every delivery outcome, computrons included. --full ignores heap snapshots
and replays the whole transcript of the vat's incarnation (refused for a vat
whose older entries were pruned). Prints one line per vat: OK, or the first
divergence. Exits non-zero on any divergence. Never writes to the database;
meant to run in CI against saved kernels, like Temporal's replayer.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReplay(args[0], vats, full, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringArrayVar(&vats, "vat", nil, "replay only this vat (repeatable)")
	cmd.Flags().BoolVar(&full, "full", false, "ignore heap snapshots: replay from the start of each incarnation")
	return cmd
}

func runReplay(dir string, names []string, full bool, stdout io.Writer) error {
	ids := make([]vat.ID, len(names))
	for i, n := range names {
		id, err := vat.ParseID(n)
		if err != nil {
			return fmt.Errorf("--vat %q: %w", n, err)
		}
		ids[i] = id
	}
	opts := cooper.Options{GoVats: demo.GoVats(), FullReplay: full}
	ok, err := cooper.Verify(dir, opts, ids, func(r kernel.VerifyResult) {
		status := "OK"
		if r.Err != nil {
			status = "FAILED: " + r.Err.Error()
		}
		from := ""
		if r.From > 0 {
			from = fmt.Sprintf(" from %d", r.From)
		}
		fmt.Fprintf(stdout, "%-5s %-20s %7d deliveries%s  %8s  %s\n", r.Vat, r.Name, r.Deliveries, from, r.Elapsed.Round(time.Millisecond), status)
	})
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("replay of %s diverged", dir)
	}
	return nil
}
