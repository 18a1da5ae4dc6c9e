package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/cooper-kernel/cooper/bundle"
)

func newBundleCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "bundle SRC.js -o OUT.json",
		Short: "Bundle a vat module and its relative imports into one bundle file",
		Long: `Bundle the ES module SRC.js and everything it imports by relative path into
one CommonJS script (esbuild, ES2017), written as a bundle JSON file. Bare
imports (@endo/far, …) are left to the vat environment. The bundle ID, the
name it gets in the kernel's bundle store, is printed on stdout.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBundle(args[0], out, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "output file (required)")
	cmd.MarkFlagRequired("out")
	return cmd
}

func runBundle(src, out string, stdout io.Writer) error {
	b, err := bundle.Build(src)
	if err != nil {
		return err
	}
	data := b.Marshal()
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return err
	}
	fmt.Fprintln(stdout, bundle.ID(data))
	return nil
}
