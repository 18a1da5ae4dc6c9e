package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/bundle"
	"github.com/cooper-kernel/cooper/capdata"
)

func newUpgradeCmd() *cobra.Command {
	var params, message string
	var goVat bool
	cmd := &cobra.Command{
		Use:   "upgrade BASEDIR VAT SOURCE",
		Short: "Upgrade a vat to new code, keeping its identity, root object and baggage",
		Long: `Upgrade VAT (a name or an ID such as v3) to the code in SOURCE: an ES module
(bundled now) or a bundle file made by 'cooper bundle' (*.json). The promises
the old incarnation decided are rejected with {name: 'vatUpgraded',
upgradeMessage, incarnationNumber}; its other objects are abandoned; the new
code's buildRootObject gets --params as vatParameters and the same baggage,
and its root takes over the vat's root object. Runs until the queue is empty,
commits, and prints {"incarnationNumber":N}. A failed upgrade changes nothing
and exits 1 with "vat-upgrade failure".

A Go vat upgrades to another Go vat of this binary: with --go, SOURCE is the
name its constructor is registered under.`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUpgrade(cmd.Context(), args[0], args[1], args[2], goVat, params, message, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&params, "params", "", "vatParameters of the new incarnation (JSON)")
	cmd.Flags().BoolVar(&goVat, "go", false, "SOURCE names a Go vat of this binary (for upgrading a Go vat)")
	cmd.Flags().StringVar(&message, "message", "vat upgraded", "upgradeMessage the old incarnation's promises are rejected with")
	addHostFlags(cmd, false)
	return cmd
}

func runUpgrade(ctx context.Context, dir, vatName, source string, goVat bool, rawParams, message string, stdout io.Writer) error {
	var params capdata.Value = capdata.Undefined{}
	if rawParams != "" {
		v, err := cooper.ParseCallArg(rawParams)
		if err != nil {
			return fmt.Errorf("--params: %w", err)
		}
		params = v
	}
	var data []byte
	switch {
	case goVat: // the Go vat's name is the source
	case strings.HasSuffix(source, ".json"):
		b, err := os.ReadFile(source)
		if err != nil {
			return err
		}
		data = b
	default:
		bd, err := bundle.Build(source)
		if err != nil {
			return err
		}
		data = bd.Marshal()
	}
	k, err := openKernel(ctx, dir, stdout)
	if err != nil {
		return err
	}
	defer k.Close()
	if _, err := cooper.RunBlocks(ctx, k, 1000); err != nil {
		return err
	}
	bundleID := source
	if !goVat {
		if bundleID, err = k.InstallBundle(data); err != nil {
			return fmt.Errorf("%s: %w", source, err)
		}
	}
	target, err := k.FindVat(vatName)
	if err != nil {
		return err
	}
	kp, err := k.UpgradeStaticVat(string(target), bundleID, params, message)
	if err != nil {
		return err
	}
	if _, err := cooper.RunBlocks(ctx, k, 1000); err != nil {
		return err
	}
	return settleHostCall(k, kp, "upgrade "+vatName, target, stdout)
}
