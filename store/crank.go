package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ncruces/go-sqlite3"
)

type stmtT = sqlite3.Stmt

type kvEntry struct {
	value   string
	deleted bool
}

// transcriptPrune removes vat's items before position before.
type transcriptPrune struct {
	vat    string
	before uint64
}

type transcriptItem struct {
	vat         string
	pos         uint64
	incarnation int
	item        []byte
	hash        string
}

// layer holds changes not yet in SQLite: the open crank's, or the block's
// (every ended crank since the last commit).
type layer struct {
	kv          map[string]kvEntry
	transcripts []transcriptItem
	deleted     []string                  // vats whose transcripts were deleted, in order
	pruned      []transcriptPrune         // spans removed from the front of transcripts, in order
	heads       map[string]transcriptHead // vat → head after this layer's changes
	bundles     map[string][]byte         // nil value: deleted
	snapshots   map[string]snapshotChange // vat → its new snapshot (nil info: deleted)
	pages       map[pageHash][]byte       // new snapshot pages, compressed (block only)
}

func newLayer() *layer {
	return &layer{kv: map[string]kvEntry{}, heads: map[string]transcriptHead{}, bundles: map[string][]byte{}, snapshots: map[string]snapshotChange{}, pages: map[pageHash][]byte{}}
}

func (l *layer) reset() {
	// A map keeps its capacity when cleared and iterating it costs that
	// capacity: after a huge crank or block, start small again.
	if len(l.kv) > 4096 {
		l.kv = map[string]kvEntry{}
	} else {
		clear(l.kv)
	}
	clear(l.heads)
	clear(l.bundles)
	clear(l.snapshots)
	clear(l.pages)
	clear(l.transcripts) // drop references to items
	l.transcripts = l.transcripts[:0]
	l.deleted = l.deleted[:0]
	l.pruned = l.pruned[:0]
}

func (l *layer) empty() bool {
	return len(l.kv) == 0 && len(l.transcripts) == 0 && len(l.deleted) == 0 && len(l.pruned) == 0 && len(l.bundles) == 0 && len(l.snapshots) == 0 && len(l.pages) == 0
}

// dropTranscript forgets the layer's items of vat.
func (l *layer) dropTranscript(vat string) {
	l.transcripts = slices.DeleteFunc(l.transcripts, func(t transcriptItem) bool { return t.vat == vat })
}

// pruneTranscript forgets the layer's items of p.vat before p.before and
// records the pruning for the layers below.
func (l *layer) pruneTranscript(p transcriptPrune) {
	l.transcripts = slices.DeleteFunc(l.transcripts, func(t transcriptItem) bool { return t.vat == p.vat && t.pos < p.before })
	l.pruned = append(l.pruned, p)
}

// mergeInto applies l on top of dst.
func (l *layer) mergeInto(dst *layer) {
	for k, e := range l.kv {
		dst.kv[k] = e
	}
	for _, vat := range l.deleted {
		dst.dropTranscript(vat)
		dst.deleted = append(dst.deleted, vat)
	}
	for _, p := range l.pruned {
		dst.pruneTranscript(p)
	}
	dst.transcripts = append(dst.transcripts, l.transcripts...)
	for v, h := range l.heads {
		dst.heads[v] = h
	}
	for id, b := range l.bundles {
		dst.bundles[id] = b
	}
	for vat, c := range l.snapshots {
		dst.snapshots[vat] = c
	}
	for h, p := range l.pages {
		dst.pages[h] = p
	}
}

// crankHasher hashes a crank's consensus changes with SwingSet's encoding.
type crankHasher struct{ h hash.Hash }

func (c *crankHasher) reset() {
	if c.h == nil {
		c.h = sha256.New()
	}
	c.h.Reset()
}

func (c *crankHasher) add(key, value string) {
	c.h.Write([]byte("add\n" + key + "\n" + value + "\n"))
}

func (c *crankHasher) delete(key string) {
	c.h.Write([]byte("delete\n" + key + "\n"))
}

func (c *crankHasher) finish() string {
	sum := hex.EncodeToString(c.h.Sum(nil))
	c.reset()
	return sum
}

// NextActivityHash folds a crank hash into the previous activity hash.
func NextActivityHash(prev, crankHash string) string {
	sum := sha256.Sum256([]byte("activityhash\n" + prev + "\n" + crankHash + "\n"))
	return hex.EncodeToString(sum[:])
}

// BeginCrank starts buffering a crank's changes.
func (s *Store) BeginCrank() {
	if s.crank != nil {
		panic("store: crank already open")
	}
	if s.spare == nil {
		s.spare = newLayer()
	}
	s.crank, s.spare = s.spare, nil
	s.hasher.reset()
}

// Pending reports whether changes wait for Commit (ended cranks, or
// snapshots saved between cranks).
func (s *Store) Pending() bool { return !s.block.empty() }

// InCrank reports whether a crank is open.
func (s *Store) InCrank() bool { return s.crank != nil }

// AbortCrank discards everything the open crank changed.
func (s *Store) AbortCrank() {
	if s.crank != nil {
		s.crank.reset()
		s.crank, s.spare = nil, s.crank
	}
	s.hasher.reset()
}

func (s *Store) mustCrank(what string) *layer {
	if s.crank == nil {
		panic("store: " + what + " outside a crank")
	}
	return s.crank
}

// EndCrank adds the crank's changes to the block and returns the crank hash
// and the new activity hash. Nothing reaches SQLite before Commit.
func (s *Store) EndCrank() (crankHash, activityHash string, err error) {
	c := s.mustCrank("end crank")
	if s.err != nil {
		s.AbortCrank()
		return "", "", s.err
	}
	crankHash = s.hasher.finish()
	prev, _ := s.Get(ActivityHashKey)
	activityHash = NextActivityHash(prev, crankHash)
	c.kv[ActivityHashKey] = kvEntry{value: activityHash}
	c.mergeInto(s.block)
	c.reset()
	s.crank, s.spare = nil, c
	return crankHash, activityHash, nil
}

// Commit ends the block: every crank ended since the last Commit is written
// to SQLite in one transaction and becomes durable. It refuses while a
// crank is open.
func (s *Store) Commit() error {
	if s.err != nil {
		return s.err
	}
	if s.crank != nil {
		return fmt.Errorf("store: commit inside a crank")
	}
	if s.block.empty() {
		return nil
	}
	if s.opts.ReadOnly {
		return fmt.Errorf("store: commit: %s is open read-only", s.path)
	}
	if err := s.endRead(); err != nil {
		return err
	}
	if err := s.db.Exec("BEGIN IMMEDIATE"); err != nil {
		return s.fail(s.wrap("commit: begin", err))
	}
	if err := s.write(s.block); err != nil {
		s.db.Exec("ROLLBACK")
		return s.fail(s.wrap("commit", err))
	}
	if err := s.db.Exec("COMMIT"); err != nil {
		s.db.Exec("ROLLBACK")
		return s.fail(s.wrap("commit", err))
	}
	if len(s.cache)+len(s.block.kv) > s.opts.CacheEntries {
		clear(s.cache)
	}
	for k, e := range s.block.kv {
		s.cache[k] = cached{value: e.value, present: !e.deleted}
	}
	for vat, h := range s.block.heads {
		hc := h
		s.transcripts[vat] = &hc
	}
	s.block.reset()
	return nil
}

// write puts a block into SQLite, inside the caller's transaction.
func (s *Store) write(b *layer) error {
	// Keys and values go in batches, one statement each for up to
	// kvBatchBytes of JSON; a string JSON cannot carry exactly (not UTF-8,
	// or holding a NUL) goes in a statement of its own.
	var dels, sets []byte
	flush := func(force bool) error {
		if len(dels) > 0 && (force || len(dels) >= kvBatchBytes) {
			if err := s.exec("DELETE FROM kvStore WHERE key IN (SELECT value FROM json_each(?))", string(append(dels, ']'))); err != nil {
				return fmt.Errorf("delete keys: %w", err)
			}
			dels = dels[:0]
		}
		if len(sets) > 0 && (force || len(sets) >= kvBatchBytes) {
			if err := s.exec("INSERT OR REPLACE INTO kvStore (key, value) SELECT key, value FROM json_each(?)", string(append(sets, '}'))); err != nil {
				return fmt.Errorf("write keys: %w", err)
			}
			sets = sets[:0]
		}
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(b.kv)) {
		e := b.kv[k]
		var err error
		switch {
		case !jsonSafe(k) || (!e.deleted && !jsonSafe(e.value)):
			if e.deleted {
				err = s.exec("DELETE FROM kvStore WHERE key = ?", k)
			} else {
				err = s.exec("INSERT OR REPLACE INTO kvStore (key, value) VALUES (?, ?)", k, e.value)
			}
		case e.deleted:
			if len(dels) == 0 {
				dels = append(dels, '[')
			} else {
				dels = append(dels, ',')
			}
			dels = appendJSONString(dels, k)
			err = flush(false)
		default:
			if len(sets) == 0 {
				sets = append(sets, '{')
			} else {
				sets = append(sets, ',')
			}
			sets = append(appendJSONString(sets, k), ':')
			sets = appendJSONString(sets, e.value)
			err = flush(false)
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", k, err)
		}
	}
	if err := flush(true); err != nil {
		return err
	}
	for _, vat := range b.deleted {
		if err := s.exec("DELETE FROM transcriptItems WHERE vatID = ?", vat); err != nil {
			return fmt.Errorf("delete transcript %s: %w", vat, err)
		}
	}
	for _, p := range b.pruned {
		if err := s.exec("DELETE FROM transcriptItems WHERE vatID = ? AND position < ?", p.vat, int64(p.before)); err != nil {
			return fmt.Errorf("prune transcript %s before %d: %w", p.vat, p.before, err)
		}
	}
	// Transcript items go in batches: one statement per transcriptBatch rows.
	for items := b.transcripts; len(items) > 0; {
		n := min(len(items), transcriptBatch)
		args := make([]any, 0, 5*n)
		for _, t := range items[:n] {
			args = append(args, t.vat, t.pos, t.incarnation, t.item, t.hash)
		}
		if err := s.exec(insertTranscriptSQL(n), args...); err != nil {
			return fmt.Errorf("transcript %s[%d]: %w", items[0].vat, items[0].pos, err)
		}
		items = items[n:]
	}
	for _, id := range slices.Sorted(maps.Keys(b.bundles)) {
		data := b.bundles[id]
		var err error
		if data == nil {
			err = s.exec("DELETE FROM bundles WHERE bundleID = ?", id)
		} else {
			err = s.exec("INSERT OR REPLACE INTO bundles (bundleID, bundle) VALUES (?, ?)", id, data)
		}
		if err != nil {
			return fmt.Errorf("bundle %s: %w", id, err)
		}
	}
	return s.writeSnapshots(b)
}

// transcriptBatch is how many transcript rows one INSERT writes.
const transcriptBatch = 64

// insertTranscriptSQL returns an INSERT of n transcript rows.
func insertTranscriptSQL(n int) string {
	return "INSERT INTO transcriptItems (vatID, position, incarnation, item, hash) VALUES " +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?),", n), ",")
}

// kvBatchBytes is about how much JSON one statement of write carries.
const kvBatchBytes = 1 << 20

// jsonSafe reports whether s travels through SQLite's JSON functions
// unchanged: valid UTF-8 without a NUL.
func jsonSafe(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// appendJSONString appends s, which must be jsonSafe, as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
