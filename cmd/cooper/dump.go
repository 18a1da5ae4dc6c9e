package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/cooper-kernel/cooper/kernel/dump"
)

func newDumpCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "dump BASEDIR",
		Short: "Print the kernel database, decoded with the schema",
		Long: `Print every key of the kernel database with what it means. With --json,
print one JSON object mapping every key to its stored string. The vats are
not started: dump only reads.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDump(cmd.Context(), args[0], asJSON, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object: key → stored value")
	return cmd
}

func runDump(_ context.Context, dir string, asJSON bool, stdout io.Writer) error {
	d, err := dump.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if asJSON {
		m := d.KV()
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	}
	for _, e := range d.Entries() {
		fmt.Fprintf(stdout, "%s = %s\t# %s\n", e.Key, e.Value, e.Doc)
	}
	return nil
}
