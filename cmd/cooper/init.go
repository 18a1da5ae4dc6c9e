package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/cooper-kernel/cooper"
)

func newInitCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init BASEDIR CONFIG.json",
		Short: "Create a kernel in BASEDIR from a SwingSet-style config",
		Long: `Create a kernel in BASEDIR from a SwingSet-style config file. Every sourceSpec
is bundled (paths are relative to the config file) and stored in the kernel
database with the rest of each vat's definition; every static vat is started.
Then the bootstrap message runs to completion and the kernel commits. On any
error in the config or the vats' code nothing is written.`,
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
	defer closeHost(ctx)
	k, err := cooper.Init(dir, cfg, cooperOptions(ctx, stdout))
	if err != nil {
		return fmt.Errorf("init %s: %w", dir, err)
	}
	defer k.Close()
	n, err := runBlocks(ctx, k, 1000)
	if err != nil {
		return fmt.Errorf("init %s: bootstrap: %w", dir, err)
	}
	fmt.Fprintf(stdout, "created kernel in %s: %d vats; bootstrap ran in %d cranks\n", dir, len(k.State().LiveVats()), n)
	return nil
}
