package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/kernel/state"
)

func newInitCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init BASEDIR CONFIG.json",
		Short: "Create a kernel in BASEDIR from a SwingSet-style config",
		Long: `Create a kernel in BASEDIR from a SwingSet-style config file. Every sourceSpec
is bundled (paths are relative to the config file) and stored in the kernel
database with the rest of each vat's definition; every static vat is started.
Then the bootstrap message runs to completion and the kernel commits.

Init is all or nothing: the kernel is built under a temporary name and put
in place only once the bootstrap has run. On any error in the config or the
vats' code, if the bootstrap's result rejects (bootstrap() throws, returns a
rejected promise, or is missing — a kernel panic in SwingSet), or if the
process is killed, BASEDIR holds no kernel.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInit(cmd.Context(), args[0], args[1], cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	addHostFlags(cmd, false)
	return cmd
}

func runInit(ctx context.Context, dir, configPath string, stdout, stderr io.Writer) error {
	cfg, err := cooper.ReadConfig(configPath)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintln(stderr, "cooper: warning:", w)
	}
	return initKernel(ctx, dir, cfg, cooperOptions(ctx, stdout), stdout, stderr)
}

// initKernel builds the kernel as a draft, runs its bootstrap to
// completion and publishes it only if the bootstrap's result did not
// reject.
func initKernel(ctx context.Context, dir string, cfg *cooper.Config, opts cooper.Options, stdout, stderr io.Writer) error {
	d, err := cooper.Build(dir, cfg, opts)
	if err != nil {
		return fmt.Errorf("init %s: %w", dir, err)
	}
	defer d.Discard()
	n, err := cooper.RunBlocks(ctx, d.Kernel, 1000)
	if err != nil {
		return fmt.Errorf("init %s: bootstrap: %w", dir, err)
	}
	if err := checkBootstrap(d.Kernel, stderr); err != nil {
		return fmt.Errorf("init %s: %w", dir, err)
	}
	vats := len(d.State().LiveVats())
	k, err := d.Publish()
	if err != nil {
		return fmt.Errorf("init %s: %w", dir, err)
	}
	if err := k.Close(); err != nil {
		return fmt.Errorf("init %s: %w", dir, err)
	}
	fmt.Fprintf(stdout, "created kernel in %s: %d vats; bootstrap ran in %d cranks\n", dir, vats, n)
	return nil
}

// checkBootstrap fails if the bootstrap message's result rejected: SwingSet
// treats that as a kernel panic. A result still unresolved is allowed
// (SwingSet does not wait for it either), with a warning.
func checkBootstrap(k *kernel.Kernel, stderr io.Writer) error {
	kp, ok := k.State().BootstrapResult()
	if !ok {
		return nil
	}
	switch k.KPStatus(kp) {
	case state.Unresolved:
		fmt.Fprintln(stderr, "cooper: warning: the bootstrap result is still unresolved")
		return nil
	case state.Rejected:
		_, reason, err := k.KPResolution(kp)
		if err != nil {
			return fmt.Errorf("bootstrap failed: %w", err)
		}
		return fmt.Errorf("bootstrap failed: %s", cooper.DescribeRejection(reason))
	}
	return nil
}
