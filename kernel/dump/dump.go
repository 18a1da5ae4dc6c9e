// Package dump reads a kernel database without starting it, and decodes
// every key with the schema of package state (SwingSet's kerneldump).
//
// It only reads, and it opens the database read-only, so it may run beside
// a live kernel. A damaged database is never served and never a panic:
// every method returns an error wrapping store.ErrCorrupt (or
// state.ErrCorrupt for values that break the schema) naming the page or
// key it hit.
package dump

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/store"
	"github.com/cooper-kernel/cooper/vat"
)

// Dump is an open kernel database, read only.
type Dump struct {
	st *store.Store
}

// Open opens the kernel database in dir for reading. It returns an error
// wrapping kernel.ErrNotKernel if dir holds no kernel.
func Open(dir string) (*Dump, error) {
	st, err := store.Open(filepath.Join(dir, kernel.DBName), store.Options{ReadOnly: true})
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

// Entry is one kv key with its value and what the schema says of it.
type Entry struct {
	Key, Value string
	Section    string
	Doc        string
}

// Entries returns every key that starts with prefix, in order, decoded
// with the schema.
func (d *Dump) Entries(prefix string) (out []Entry, err error) {
	defer state.Recover(&err)
	for _, k := range d.st.KeysWithPrefix(prefix) {
		v, _ := d.st.Get(k)
		e := Entry{Key: k, Value: v, Section: "unknown", Doc: "not in the schema"}
		if f, ok := state.Describe(k); ok {
			e.Section, e.Doc = f.Section, f.Doc
		}
		out = append(out, e)
	}
	return out, nil
}

// KV returns every key → stored value.
func (d *Dump) KV() (map[string]string, error) {
	entries, err := d.Entries("")
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(entries))
	for _, e := range entries {
		m[e.Key] = e.Value
	}
	return m, nil
}

// HasVat reports whether the database holds anything of vat id: keys,
// a transcript, or a place in the list of terminated vats.
func (d *Dump) HasVat(id vat.ID) (ok bool, err error) {
	defer state.Recover(&err)
	if len(d.st.KeysWithPrefix(string(id)+".")) > 0 || d.st.TranscriptLength(string(id)) > 0 {
		return true, nil
	}
	st := d.State()
	for _, v := range append(st.LiveVats(), st.TerminatedVats()...) {
		if v == id {
			return true, nil
		}
	}
	return false, nil
}

// State returns typed access to the kernel tables. Its accessors panic on a
// damaged database; call them under [state.Recover].
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
func (d *Dump) Stats() (out []Stat, err error) {
	entries, err := d.Entries("")
	if err != nil {
		return nil, err
	}
	by := map[string]*Stat{}
	for _, e := range entries {
		s := by[e.Section]
		if s == nil {
			s = &Stat{Section: e.Section}
			by[e.Section] = s
		}
		s.Keys++
		s.KeyBytes += len(e.Key)
		s.ValueBytes += len(e.Value)
	}
	for _, name := range Sections {
		if s := by[name]; s != nil {
			out = append(out, *s)
		}
	}
	bundles, err := d.Bundles()
	if err != nil {
		return nil, err
	}
	b := Stat{Section: "bundle store"}
	for _, bi := range bundles {
		b.Keys++
		b.KeyBytes += len(bi.ID)
		b.ValueBytes += int(bi.Size)
	}
	transcripts, err := d.Transcripts()
	if err != nil {
		return nil, err
	}
	t := Stat{Section: "transcripts"}
	for _, ti := range transcripts {
		t.Keys += int(ti.Deliveries)
		t.ValueBytes += int(ti.Bytes)
	}
	return append(out, b, t), nil
}

// Bundle is one bundle of the bundle store.
type Bundle struct {
	ID   string
	Size int64
}

// Bundles lists the bundle store, by ID.
func (d *Dump) Bundles() (out []Bundle, err error) {
	defer state.Recover(&err)
	for _, id := range d.st.BundleIDs() {
		out = append(out, Bundle{ID: id, Size: d.st.BundleSize(id)})
	}
	return out, nil
}

// Transcript summarises one vat's transcript.
type Transcript struct {
	Vat        vat.ID
	Deliveries uint64
	First      uint64 // position of the first item kept (older ones were pruned)
	Bytes      int64  // the size of every item, read through
}

// Transcripts lists every vat's transcript, by vat, reading each item (so a
// damaged transcript page is found).
func (d *Dump) Transcripts() (out []Transcript, err error) {
	defer state.Recover(&err)
	for _, v := range d.st.TranscriptVats() {
		t := Transcript{Vat: vat.ID(v), Deliveries: d.st.TranscriptLength(v)}
		t.First = t.Deliveries
		err := d.st.ReadTranscript(v, 0, func(e store.TranscriptEntry) error {
			t.First = min(t.First, e.Pos)
			t.Bytes += int64(len(e.Item))
			return nil
		})
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// Snapshots lists every vat's heap snapshot, by vat.
func (d *Dump) Snapshots() (out []store.SnapshotInfo, err error) {
	defer state.Recover(&err)
	for _, v := range d.st.SnapshotVats() {
		info, _ := d.st.Snapshot(v)
		out = append(out, info)
	}
	return out, nil
}

// RefCounts audits the stored reference counts against the kernel tables.
func (d *Dump) RefCounts() (bad []kernel.RefCountMismatch, counted int, err error) {
	defer state.Recover(&err)
	return kernel.AuditRefCounts(d.State()), len(d.State().CountedRefs()), nil
}

// CLists audits that every c-list entry has both directions, agreeing.
func (d *Dump) CLists() (bad []string, err error) {
	defer state.Recover(&err)
	return kernel.AuditCLists(d.State()), nil
}
