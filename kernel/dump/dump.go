// Package dump reads a kernel database without starting it, and decodes
// every key with the schema of package state (SwingSet's kerneldump).
package dump

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/store"
)

// Dump is an open kernel database, read only.
type Dump struct {
	st *store.Store
}

// Open opens the kernel database in dir for reading.
func Open(dir string) (*Dump, error) {
	st, err := store.Open(filepath.Join(dir, kernel.DBName), store.Options{})
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrNotStore) {
		return nil, fmt.Errorf("%s: %w", dir, kernel.ErrNotKernel)
	}
	if err != nil {
		return nil, err
	}
	return &Dump{st: st}, nil
}

// Close closes the database without writing.
func (d *Dump) Close() error { return d.st.Close() }

// Store returns the underlying store.
func (d *Dump) Store() *store.Store { return d.st }

// Entry is one kv key with its value and what the schema says of it.
type Entry struct {
	Key, Value string
	Section    string
	Doc        string
}

// Entries returns every key in order, decoded with the schema.
func (d *Dump) Entries() []Entry {
	var out []Entry
	for _, k := range d.st.KeysWithPrefix("") {
		v, _ := d.st.Get(k)
		e := Entry{Key: k, Value: v, Section: "unknown", Doc: "not in the schema"}
		if f, ok := state.Describe(k); ok {
			e.Section, e.Doc = f.Section, f.Doc
		}
		out = append(out, e)
	}
	return out
}

// KV returns every key → stored value.
func (d *Dump) KV() map[string]string {
	m := map[string]string{}
	for _, k := range d.st.KeysWithPrefix("") {
		m[k], _ = d.st.Get(k)
	}
	return m
}

// State returns typed access to the kernel tables.
func (d *Dump) State() *state.State { return state.New(d.st) }

// Sections lists the schema sections in display order.
var Sections = []string{"kernel", "vats", "devices", "objects", "promises", "runQueue", "meters", "bundles", "local", "host", "unknown"}

// Stat counts the keys of one section and their sizes.
type Stat struct {
	Section    string
	Keys       int
	KeyBytes   int
	ValueBytes int
}

// Stats counts keys and bytes per section, in Sections order, then the
// bundle store and transcripts as sections of their own.
func (d *Dump) Stats() []Stat {
	by := map[string]*Stat{}
	for _, e := range d.Entries() {
		s := by[e.Section]
		if s == nil {
			s = &Stat{Section: e.Section}
			by[e.Section] = s
		}
		s.Keys++
		s.KeyBytes += len(e.Key)
		s.ValueBytes += len(e.Value)
	}
	var out []Stat
	for _, name := range Sections {
		if s := by[name]; s != nil {
			out = append(out, *s)
		}
	}
	b := Stat{Section: "bundle store"}
	for _, id := range d.st.BundleIDs() {
		b.Keys++
		b.KeyBytes += len(id)
		b.ValueBytes += int(d.st.BundleSize(id))
	}
	t := Stat{Section: "transcripts"}
	for _, v := range d.st.TranscriptVats() {
		n := int(d.st.TranscriptLength(v))
		t.Keys += n
		_ = d.st.ReadTranscript(v, 0, func(e store.TranscriptEntry) error {
			t.ValueBytes += len(e.Item)
			return nil
		})
	}
	return append(out, b, t)
}

// RefCounts audits the stored reference counts against the kernel tables.
func (d *Dump) RefCounts() []kernel.RefCountMismatch {
	return kernel.AuditRefCounts(d.State())
}
