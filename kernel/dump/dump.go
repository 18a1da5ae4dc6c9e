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
