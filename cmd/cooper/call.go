package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/vat"
)

func newCallCmd() *cobra.Command {
	var commitEvery int
	cmd := &cobra.Command{
		Use:   "call BASEDIR VAT METHOD [ARG...]",
		Short: "Send METHOD(ARG...) to a vat's root object, run, and print the result",
		Long: `Queue METHOD(ARG...) to the root object of VAT (a static vat's name, a
dynamic vat's name or a vat ID such as v3), run until the run queue is empty,
commit, and print the result as one line of JSON. Each ARG is parsed as JSON
when it is JSON, else taken as a string; a negative number such as -5 is
an argument, not a flag ("--" ends the flags). A rejected result is printed
on stderr and the exit code is 1.`,
		Args: cobra.MinimumNArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCall(cmd.Context(), args[0], args[1], args[2], args[3:], commitEvery, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().IntVar(&commitEvery, "commit-every", 1000, "commit a block every N cranks")
	addHostFlags(cmd, false)
	freeArgs(cmd, 3)
	return cmd
}

func runCall(ctx context.Context, dir, vatName, method string, rawArgs []string, commitEvery int, stdout, stderr io.Writer) error {
	args, err := cooper.ParseCallArgs(rawArgs)
	if err != nil {
		return err
	}
	k, err := openKernel(ctx, dir, stdout)
	if err != nil {
		return err
	}
	defer k.Close()
	// Finish work already queued (a bootstrap queued through the Go API, say)
	// before this message joins the queue.
	if _, err := cooper.RunBlocks(ctx, k, commitEvery); err != nil {
		return err
	}
	target, err := k.FindVat(vatName)
	if err != nil {
		return err
	}
	kp, err := k.QueueToVatRoot(string(target), method, args)
	if err != nil {
		return err
	}
	if _, err := cooper.RunBlocks(ctx, k, commitEvery); err != nil {
		return err
	}
	return settleHostCall(k, kp, fmt.Sprintf("%s.%s", vatName, method), target, stdout)
}

// settleHostCall reports the host's promise kp for the call named what
// (to the vat target): its value as one line of JSON on stdout, or an error
// saying why it was rejected (and why the vat ended, if it did); it releases
// kp and commits.
func settleHostCall(k *kernel.Kernel, kp vat.KRef, what string, target vat.ID, stdout io.Writer) error {
	if k.KPStatus(kp) == state.Unresolved {
		if err := k.Commit(); err != nil {
			return err
		}
		return fmt.Errorf("%s: the result is still unresolved after the run queue emptied (%s)", what, kp)
	}
	rejected, v, err := k.KPResolution(kp)
	if err != nil {
		return err
	}
	if err := k.ReleaseKP(kp); err != nil {
		return err
	}
	if err := k.Commit(); err != nil {
		return err
	}
	if rejected {
		why := ""
		if r := k.TerminationReason(target); r != "" {
			why = fmt.Sprintf(" (vat %s ended: %s)", target, r)
		}
		return fmt.Errorf("%s rejected: %s%s", what, cooper.DescribeRejection(v), why)
	}
	fmt.Fprintln(stdout, string(capdata.ToJSON(v)))
	return nil
}
