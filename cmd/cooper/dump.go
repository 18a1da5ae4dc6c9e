package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cooper-kernel/cooper/kernel/dump"
)

type dumpFlags struct {
	json      bool
	vat       string
	prefix    string
	stats     bool
	refcounts bool
}

func newDumpCmd() *cobra.Command {
	var f dumpFlags
	cmd := &cobra.Command{
		Use:   "dump BASEDIR",
		Short: "Print the kernel database, decoded with the schema",
		Long: `Print every key of the kernel database, grouped by section, with what the
schema says of it, then the bundle store and the transcript lengths. The
vats are not started: dump only reads.

  --json        one JSON object: every kv key → its stored string
  --vat vNN     only the keys of one vat (its source, options, c-list, vatstore)
  --prefix P    only the keys that start with P
  --stats       key counts and sizes per section
  --refcounts   audit stored reference counts against the c-lists, queues and
                promise data; exit non-zero on any mismatch`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDump(cmd.Context(), args[0], f, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&f.json, "json", false, "print one JSON object: key → stored value")
	cmd.Flags().StringVar(&f.vat, "vat", "", "only the keys of this vat (vNN)")
	cmd.Flags().StringVar(&f.prefix, "prefix", "", "only keys starting with this prefix")
	cmd.Flags().BoolVar(&f.stats, "stats", false, "print counts and sizes per section")
	cmd.Flags().BoolVar(&f.refcounts, "refcounts", false, "audit reference counts; exit non-zero on a mismatch")
	return cmd
}

func runDump(_ context.Context, dir string, f dumpFlags, stdout io.Writer) error {
	d, err := dump.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	switch {
	case f.refcounts:
		bad := d.RefCounts()
		for _, m := range bad {
			fmt.Fprintf(stdout, "%s: stored refCount %d, counted %d\n", m.KRef, m.Stored, m.Counted)
		}
		if len(bad) > 0 {
			return fmt.Errorf("%d reference counts do not match", len(bad))
		}
		fmt.Fprintf(stdout, "reference counts OK (%d kernel refs)\n", len(d.State().CountedRefs()))
		return nil
	case f.stats:
		fmt.Fprintf(stdout, "%-14s %8s %12s %12s\n", "section", "keys", "key bytes", "value bytes")
		for _, s := range d.Stats() {
			fmt.Fprintf(stdout, "%-14s %8d %12d %12d\n", s.Section, s.Keys, s.KeyBytes, s.ValueBytes)
		}
		return nil
	}
	keep := func(key string) bool {
		if f.prefix != "" && !strings.HasPrefix(key, f.prefix) {
			return false
		}
		return f.vat == "" || strings.HasPrefix(key, f.vat+".")
	}
	entries := d.Entries()
	if f.json {
		m := map[string]string{}
		for _, e := range entries {
			if keep(e.Key) {
				m[e.Key] = e.Value
			}
		}
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	}
	for _, section := range dump.Sections {
		first := true
		for _, e := range entries {
			if e.Section != section || !keep(e.Key) {
				continue
			}
			if first {
				fmt.Fprintf(stdout, "# %s\n", section)
				first = false
			}
			fmt.Fprintf(stdout, "%s = %s\t# %s\n", e.Key, e.Value, e.Doc)
		}
	}
	if f.vat != "" || f.prefix != "" {
		return nil
	}
	st := d.Store()
	fmt.Fprintf(stdout, "# bundle store\n")
	for _, id := range st.BundleIDs() {
		fmt.Fprintf(stdout, "%s… %d bytes\n", id[:min(len(id), 19)], st.BundleSize(id))
	}
	fmt.Fprintf(stdout, "# transcripts\n")
	for _, v := range st.TranscriptVats() {
		fmt.Fprintf(stdout, "%s %d deliveries\n", v, st.TranscriptLength(v))
	}
	return nil
}
