package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"maps"
	"slices"

	"github.com/ncruces/go-sqlite3"
)

type stmtT = sqlite3.Stmt

type kvEntry struct {
	value   string
	deleted bool
}

type transcriptItem struct {
	vat         string
	pos         uint64
	incarnation int
	item        []byte
	hash        string
}

// crankBuffer holds a crank's changes until it ends.
type crankBuffer struct {
	kv                 map[string]kvEntry
	transcripts        []transcriptItem
	heads              map[string]transcriptHead // vat → head after this crank's appends
	deletedTranscripts []string
	bundles            map[string][]byte // nil value: deleted
}

// crankHasher hashes a crank's consensus changes with SwingSet's encoding.
type crankHasher struct{ h hash.Hash }

func (c *crankHasher) reset() { c.h = sha256.New() }

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

// ActivityHash folds a crank hash into the previous activity hash.
func NextActivityHash(prev, crankHash string) string {
	sum := sha256.Sum256([]byte("activityhash\n" + prev + "\n" + crankHash + "\n"))
	return hex.EncodeToString(sum[:])
}

// BeginCrank starts buffering a crank's changes.
func (s *Store) BeginCrank() {
	if s.crank != nil {
		panic("store: crank already open")
	}
	s.crank = &crankBuffer{
		kv:      make(map[string]kvEntry),
		heads:   make(map[string]transcriptHead),
		bundles: make(map[string][]byte),
	}
	s.hasher.reset()
}

// InCrank reports whether a crank is open.
func (s *Store) InCrank() bool { return s.crank != nil }

// AbortCrank discards everything the open crank changed.
func (s *Store) AbortCrank() {
	s.crank = nil
	s.hasher.reset()
}

func (s *Store) mustCrank(what string) *crankBuffer {
	if s.crank == nil {
		panic("store: " + what + " outside a crank")
	}
	return s.crank
}

// EndCrank writes the crank's changes into the block and returns the crank
// hash and the new activity hash.
func (s *Store) EndCrank() (crankHash, activityHash string, err error) {
	c := s.mustCrank("end crank")
	s.crank = nil
	crankHash = s.hasher.finish()
	activityHash = NextActivityHash(s.ActivityHash(), crankHash)
	if err := s.apply(c, activityHash); err != nil {
		return "", "", s.fail(fmt.Errorf("end crank: %w", err))
	}
	return crankHash, activityHash, nil
}

// apply writes a crank buffer into the block transaction.
func (s *Store) apply(c *crankBuffer, activityHash string) error {
	if err := s.begin(); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(c.kv)) {
		e := c.kv[k]
		var err error
		if e.deleted {
			err = s.exec("DELETE FROM kvStore WHERE key = ?", k)
			s.cache[k] = cached{}
		} else {
			err = s.exec("INSERT OR REPLACE INTO kvStore (key, value) VALUES (?, ?)", k, e.value)
			s.cache[k] = cached{value: e.value, present: true}
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", k, err)
		}
	}
	if err := s.exec("INSERT OR REPLACE INTO kvStore (key, value) VALUES (?, ?)", ActivityHashKey, activityHash); err != nil {
		return err
	}
	s.cache[ActivityHashKey] = cached{value: activityHash, present: true}
	for _, vat := range c.deletedTranscripts {
		if err := s.exec("DELETE FROM transcriptItems WHERE vatID = ?", vat); err != nil {
			return fmt.Errorf("delete transcript %s: %w", vat, err)
		}
	}
	for _, t := range c.transcripts {
		if err := s.exec("INSERT INTO transcriptItems (vatID, position, incarnation, item, hash) VALUES (?, ?, ?, ?, ?)",
			t.vat, t.pos, t.incarnation, t.item, t.hash); err != nil {
			return fmt.Errorf("transcript %s[%d]: %w", t.vat, t.pos, err)
		}
	}
	for _, vat := range slices.Sorted(maps.Keys(c.heads)) {
		h := c.heads[vat]
		s.transcripts[vat] = &h
	}
	for _, id := range slices.Sorted(maps.Keys(c.bundles)) {
		data := c.bundles[id]
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
	return nil
}
