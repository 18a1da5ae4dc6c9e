package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/kernel"
)

func newRunCmd() *cobra.Command {
	var commitEvery int
	cmd := &cobra.Command{
		Use:   "run BASEDIR",
		Short: "Start or resume the kernel in BASEDIR and run until the queue is empty",
		Long: `Start or resume the kernel in BASEDIR: every live vat is restored from the
database and its transcript replayed; then cranks run until the run queue is
empty, committing every --commit-every cranks and at the end. A killed
process loses at most the uncommitted block.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd.Context(), args[0], commitEvery, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().IntVar(&commitEvery, "commit-every", 1000, "commit a block every N cranks")
	addHostFlags(cmd, true)
	return cmd
}

func runRun(ctx context.Context, dir string, commitEvery int, stdout, stderr io.Writer) error {
	k, err := openKernel(ctx, dir, stdout)
	if err != nil {
		return err
	}
	defer k.Close()
	watchKernel(ctx, k)
	n, err := cooper.RunBlocks(ctx, k, commitEvery)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "cooper: ran %d cranks; run queue empty\n", n)
	return nil
}

// openKernel restores the kernel in dir.
func openKernel(ctx context.Context, dir string, stdout io.Writer) (*kernel.Kernel, error) {
	k, err := cooper.Open(dir, cooperOptions(ctx, stdout))
	if err != nil {
		return nil, err
	}
	return k, nil
}
