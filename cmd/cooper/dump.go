package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cooper-kernel/cooper/kernel/dump"
	"github.com/cooper-kernel/cooper/store"
	"github.com/cooper-kernel/cooper/vat"
)

type dumpFlags struct {
	json      bool
	vat       string
	prefix    string
	stats     bool
	refcounts bool
	durable   bool
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
                promise data, and that both directions of every c-list entry
                agree; exit non-zero on any mismatch
  --durable     per vat: its incarnation, where its replay starts, and the
                durable kinds and collections in its vatstore`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDump(cmd.Context(), args[0], f, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&f.json, "json", false, "print one JSON object: key → stored value")
	cmd.Flags().StringVar(&f.vat, "vat", "", "only the keys of this vat (vNN)")
	cmd.Flags().StringVar(&f.prefix, "prefix", "", "only keys starting with this prefix")
	cmd.Flags().BoolVar(&f.stats, "stats", false, "print counts and sizes per section")
	cmd.Flags().BoolVar(&f.durable, "durable", false, "print each vat's incarnation, durable kinds and collections")
	cmd.Flags().BoolVar(&f.refcounts, "refcounts", false, "audit reference counts; exit non-zero on a mismatch")
	return cmd
}

func runDump(_ context.Context, dir string, f dumpFlags, stdout io.Writer) error {
	var vatID vat.ID
	if f.vat != "" {
		id, err := vat.ParseID(f.vat)
		if err != nil {
			return fmt.Errorf("--vat %q: %w", f.vat, err)
		}
		vatID = id
	}
	d, err := dump.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	switch {
	case f.durable:
		vats, err := d.Durable()
		if err != nil {
			return err
		}
		for _, v := range vats {
			if vatID != "" && v.ID != vatID {
				continue
			}
			printDurable(stdout, v)
		}
		return nil
	case f.refcounts:
		bad, counted, err := d.RefCounts()
		if err != nil {
			return err
		}
		badCList, err := d.CLists()
		if err != nil {
			return err
		}
		for _, m := range bad {
			fmt.Fprintf(stdout, "%s: stored refCount %d, counted %d\n", m.KRef, m.Stored, m.Counted)
		}
		for _, m := range badCList {
			fmt.Fprintf(stdout, "c-list: %s\n", m)
		}
		switch {
		case len(bad) > 0 && len(badCList) > 0:
			return fmt.Errorf("%d reference counts and %d c-list entries do not match", len(bad), len(badCList))
		case len(bad) > 0:
			return fmt.Errorf("%d reference counts do not match", len(bad))
		case len(badCList) > 0:
			return fmt.Errorf("%d c-list entries do not match", len(badCList))
		}
		fmt.Fprintf(stdout, "reference counts OK (%d kernel refs)\n", counted)
		return nil
	case f.stats:
		stats, err := d.Stats()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%-14s %8s %12s %12s\n", "section", "keys", "key bytes", "value bytes")
		for _, s := range stats {
			fmt.Fprintf(stdout, "%-14s %8d %12d %12d\n", s.Section, s.Keys, s.KeyBytes, s.ValueBytes)
		}
		return nil
	}
	if vatID != "" {
		ok, err := d.HasVat(vatID)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("--vat %s: %s has no such vat", vatID, dir)
		}
	}
	entries, err := d.Entries(f.prefix)
	if err != nil {
		return err
	}
	if vatID != "" {
		entries = slices.DeleteFunc(entries, func(e dump.Entry) bool { return !strings.HasPrefix(e.Key, string(vatID)+".") })
	}
	if f.json {
		m := map[string]string{}
		for _, e := range entries {
			m[e.Key] = e.Value
		}
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	}
	// Read everything before printing anything: a damaged database is one
	// error line, not half a dump.
	var bundles []dump.Bundle
	var transcripts []dump.Transcript
	var snapshots []store.SnapshotInfo
	whole := vatID == "" && f.prefix == ""
	if whole {
		if bundles, err = d.Bundles(); err != nil {
			return err
		}
		if transcripts, err = d.Transcripts(); err != nil {
			return err
		}
		if snapshots, err = d.Snapshots(); err != nil {
			return err
		}
	}
	for _, section := range dump.Sections {
		first := true
		for _, e := range entries {
			if e.Section != section {
				continue
			}
			if first {
				fmt.Fprintf(stdout, "# %s\n", section)
				first = false
			}
			fmt.Fprintf(stdout, "%s = %s\t# %s\n", e.Key, e.Value, e.Doc)
		}
	}
	if !whole {
		return nil
	}
	fmt.Fprintf(stdout, "# bundle store\n")
	for _, b := range bundles {
		fmt.Fprintf(stdout, "%s… %d bytes\n", b.ID[:min(len(b.ID), 19)], b.Size)
	}
	fmt.Fprintf(stdout, "# transcripts\n")
	for _, t := range transcripts {
		if t.First > 0 {
			fmt.Fprintf(stdout, "%s %d deliveries (kept from %d)\n", t.Vat, t.Deliveries, t.First)
		} else {
			fmt.Fprintf(stdout, "%s %d deliveries\n", t.Vat, t.Deliveries)
		}
	}
	if len(snapshots) > 0 {
		fmt.Fprintf(stdout, "# heap snapshots\n")
	}
	for _, s := range snapshots {
		fmt.Fprintf(stdout, "%s at delivery %d: %d bytes (%d stored), sha256 %.16s…, build %.21s…\n",
			s.Vat, s.Pos, s.Size, s.Stored, s.Hash, s.Build)
	}
	return nil
}

// printDurable prints one vat's durable state for dump --durable.
func printDurable(w io.Writer, v dump.VatDurable) {
	fmt.Fprintf(w, "%s %s: incarnation %d, replays from transcript entry %d\n", v.ID, v.Name, v.Incarnation, v.TranscriptStart)
	for _, k := range v.Kinds {
		shape := "durable kind"
		if len(k.Facets) > 0 {
			shape = "durable kit (" + strings.Join(k.Facets, ", ") + ")"
		}
		if !k.Defined {
			shape = "kind handle, never defined"
		}
		fmt.Fprintf(w, "  kind %d %q: %s, %d instances\n", k.ID, k.Tag, shape, k.Instances)
	}
	for _, c := range v.Collections {
		entries := fmt.Sprintf("%d entries", c.Entries)
		if c.Entries < 0 {
			entries = "weak"
		}
		fmt.Fprintf(w, "  collection %d %q: %s %s, %s\n", c.ID, c.Label, c.Kind, c.VRef, entries)
	}
	if v.GoBaggage > 0 {
		fmt.Fprintf(w, "  Go baggage: %d entries\n", v.GoBaggage)
	}
}
