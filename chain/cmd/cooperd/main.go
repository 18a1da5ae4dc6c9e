// Command cooperd runs Cooper as a replicated state machine on CometBFT:
// each validator is one cooperd process with the kernel in-process, and
// clients send it signed calls.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd(os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cooperd:", err)
		os.Exit(1)
	}
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "cooperd",
		Short:         "Cooper replicated by CometBFT validators",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		newTestnetCmd(),
		newStartCmd(),
		newCallCmd(),
		newStatusCmd(),
		newBenchCmd(),
	)
	return root
}
