// Command cooper is the command-line front door of the Cooper kernel:
// create a kernel from a SwingSet-style config, run it, call into its vats,
// and look inside.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/kernel/state"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd(os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		if errors.Is(err, kernel.ErrInterrupted) || errors.Is(err, context.Canceled) {
			err = errors.New("interrupted: nothing since the last commit was kept")
		}
		fmt.Fprintln(os.Stderr, "cooper:", err)
		var ec *exitCodeError
		if errors.As(err, &ec) {
			os.Exit(ec.code)
		}
		os.Exit(1)
	}
}

// exitCodeError carries a specific exit code.
type exitCodeError struct {
	code int
	err  error
}

func (e *exitCodeError) Error() string { return e.err.Error() }
func (e *exitCodeError) Unwrap() error { return e.err }

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "cooper",
		Short:         "Cooper: a durable object-capability kernel (SwingSet's model, in Go)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		newInitCmd(),
		newRunCmd(),
		newCallCmd(),
		newUpgradeCmd(),
		newDumpCmd(),
		newDemoCmd(),
		newBundleCmd(),
		newReplayCmd(),
		newBenchCmd(),
	)
	for _, c := range root.Commands() {
		recoverStateFailures(c)
	}
	return root
}

// recoverStateFailures makes a damaged database an error of cmd, never a
// panic: the kernel's accessors panic with corrupt state or a store
// failure where they have no error result (see state.Recover).
func recoverStateFailures(cmd *cobra.Command) {
	run := cmd.RunE
	if run == nil {
		return
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) (err error) {
		defer state.Recover(&err)
		return run(cmd, args)
	}
}
