package store

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
)

// InitialTranscriptHash starts every vat's transcript hash chain.
var InitialTranscriptHash = func() string {
	sum := sha256.Sum256([]byte("start of transcript span"))
	return hex.EncodeToString(sum[:])
}()

// NextTranscriptHash chains one transcript item onto the previous hash.
func NextTranscriptHash(prev string, item []byte) string {
	itemSum := sha256.Sum256(item)
	sum := sha256.Sum256([]byte(prev + hex.EncodeToString(itemSum[:])))
	return hex.EncodeToString(sum[:])
}

// TranscriptEntry is one stored transcript item.
type TranscriptEntry struct {
	Pos         uint64
	Incarnation int
	Item        []byte
	Hash        string // chain hash up to and including this item
}

// transcriptHead is the length and last hash of a vat's transcript.
type transcriptHead struct {
	length uint64
	hash   string
}

func (s *Store) head(vat string) transcriptHead {
	if s.crank != nil {
		if h, ok := s.crank.heads[vat]; ok {
			return h
		}
	}
	if h, ok := s.block.heads[vat]; ok {
		return h
	}
	if h, ok := s.transcripts[vat]; ok {
		return *h
	}
	h := transcriptHead{hash: InitialTranscriptHash}
	st := s.mustStmt("SELECT position, hash FROM transcriptItems WHERE vatID = ? ORDER BY position DESC LIMIT 1")
	defer st.Reset()
	st.BindText(1, vat)
	if st.Step() {
		h = transcriptHead{length: uint64(st.ColumnInt64(0)) + 1, hash: st.ColumnText(1)}
	} else if err := st.Err(); err != nil {
		s.readErr("transcript head "+vat, err)
	}
	s.transcripts[vat] = &h
	return h
}

// AppendTranscript adds an item to vat's transcript in the current crank and
// returns its position.
func (s *Store) AppendTranscript(vat string, incarnation int, item []byte) uint64 {
	c := s.mustCrank("append transcript " + vat)
	h := s.head(vat)
	pos := h.length
	next := transcriptHead{length: pos + 1, hash: NextTranscriptHash(h.hash, item)}
	c.transcripts = append(c.transcripts, transcriptItem{vat: vat, pos: pos, incarnation: incarnation, item: slices.Clone(item), hash: next.hash})
	c.heads[vat] = next
	return pos
}

// TranscriptLength returns how many items vat's transcript holds.
func (s *Store) TranscriptLength(vat string) uint64 { return s.head(vat).length }

// TranscriptHash returns the chain hash of vat's whole transcript.
func (s *Store) TranscriptHash(vat string) string { return s.head(vat).hash }

// DeleteTranscript removes vat's transcript in the current crank.
func (s *Store) DeleteTranscript(vat string) {
	c := s.mustCrank("delete transcript " + vat)
	c.dropTranscript(vat)
	c.deleted = append(c.deleted, vat)
	c.heads[vat] = transcriptHead{hash: InitialTranscriptHash}
}

// PruneTranscript removes vat's items before position before in the
// current crank (in the block between cranks); positions of the remaining
// and later items do not change. The caller must keep at least the last
// item (the transcript's length is read from it when the store is reopened).
func (s *Store) PruneTranscript(vat string, before uint64) {
	l := s.block
	if s.crank != nil {
		l = s.crank
	}
	l.pruneTranscript(transcriptPrune{vat: vat, before: before})
}

// ReadTranscript calls fn for each item of vat's transcript from position
// from on, in order, stopping at the first error fn returns.
func (s *Store) ReadTranscript(vat string, from uint64, fn func(TranscriptEntry) error) error {
	crankDeleted := s.crank != nil && slices.Contains(s.crank.deleted, vat)
	blockDeleted := crankDeleted || slices.Contains(s.block.deleted, vat)
	// Items pruned but not yet committed are skipped too.
	for _, l := range []*layer{s.block, s.crank} {
		if l == nil {
			continue
		}
		for _, p := range l.pruned {
			if p.vat == vat && p.before > from {
				from = p.before
			}
		}
	}
	// Read committed items in pages so fn may use the store between items.
	for !blockDeleted {
		page, err := s.readTranscriptPage(vat, from, 256)
		if err != nil {
			return err
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(page) < 256 {
			break
		}
		from = page[len(page)-1].Pos + 1
	}
	layers := []*layer{s.block}
	if crankDeleted {
		layers = nil
	}
	if s.crank != nil {
		layers = append(layers, s.crank)
	}
	for _, l := range layers {
		for _, t := range l.transcripts {
			if t.vat == vat && t.pos >= from {
				if err := fn(TranscriptEntry{Pos: t.pos, Incarnation: t.incarnation, Item: t.item, Hash: t.hash}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (s *Store) readTranscriptPage(vat string, from uint64, limit int) ([]TranscriptEntry, error) {
	st, err := s.stmt("SELECT position, incarnation, item, hash FROM transcriptItems WHERE vatID = ? AND position >= ? ORDER BY position LIMIT ?")
	if err != nil {
		return nil, s.fail(s.wrap("read transcript "+vat, err))
	}
	defer st.Reset()
	st.BindText(1, vat)
	st.BindInt64(2, int64(from))
	st.BindInt64(3, int64(limit))
	var out []TranscriptEntry
	for st.Step() {
		out = append(out, TranscriptEntry{
			Pos:         uint64(st.ColumnInt64(0)),
			Incarnation: st.ColumnInt(1),
			Item:        st.ColumnBlob(2, nil),
			Hash:        st.ColumnText(3),
		})
	}
	if err := st.Err(); err != nil {
		return nil, s.fail(s.wrap("read transcript "+vat, err))
	}
	return out, nil
}

// TranscriptVats returns every vat that has transcript items, sorted.
func (s *Store) TranscriptVats() []string {
	st := s.mustStmt("SELECT DISTINCT vatID FROM transcriptItems ORDER BY vatID")
	var out []string
	for st.Step() {
		out = append(out, st.ColumnText(0))
	}
	err := st.Err()
	st.Reset()
	if err != nil {
		s.readErr("transcript vats", err)
	}
	out = slices.DeleteFunc(out, func(v string) bool { return s.head(v).length == 0 })
	layers := []*layer{s.block}
	if s.crank != nil {
		layers = append(layers, s.crank)
	}
	for _, l := range layers {
		for _, t := range l.transcripts {
			if i, found := slices.BinarySearch(out, t.vat); !found {
				out = slices.Insert(out, i, t.vat)
			}
		}
	}
	return out
}
