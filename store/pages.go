package store

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/klauspost/compress/s2"
)

// Snapshots are stored page by page (see snapshotSQL): a snapshot is cut
// into pieces of snapPageSize bytes aligned at its end — a wasm snapshot
// ends with the instance's linear memory, whose size is a multiple of
// 64 KiB, so its pages line up with memory pages whatever the length of
// the header before them; the first piece is the remainder. Each distinct
// piece is stored once, compressed, by its SHA-256, and shared by every
// snapshot that holds it: vats made from one bundle share most of their
// heap with each other and with their previous snapshots.

// snapPageSize is the size of a snapshot page: with 4 KiB pages 1,000 idle
// counter vats take a 20 MB database, with 64 KiB ones 39 MB, for the same
// restore time (docs/wasm-worker.md).
const snapPageSize = 4096

// pageHash is the SHA-256 of an uncompressed snapshot page.
type pageHash [sha256.Size]byte

// pageCount returns how many pages a snapshot of size bytes has and the
// length of the first.
func pageCount(size int64) (n int, first int) {
	n = int(size / snapPageSize)
	first = int(size % snapPageSize)
	if first == 0 {
		first = snapPageSize
	} else {
		n++
	}
	if size == 0 {
		return 0, 0
	}
	return n, first
}

// forPages calls fn with each page of data, in order.
func forPages(data []byte, fn func(i int, page []byte)) {
	n, first := pageCount(int64(len(data)))
	off := 0
	for i := range n {
		l := snapPageSize
		if i == 0 {
			l = first
		}
		fn(i, data[off:off+l])
		off += l
	}
}

// A page list is how a stored snapshot names its pages: the page IDs in
// order, each as the zigzag varint of its difference from the previous ID
// (the first from 0). Consecutive pages of one snapshot were mostly stored
// together, so most entries take one byte.

// encodePageList returns the page list of ids.
func encodePageList(ids []int64) []byte {
	out := make([]byte, 0, len(ids)+8)
	prev := int64(0)
	for _, id := range ids {
		out = binary.AppendVarint(out, id-prev)
		prev = id
	}
	return out
}

// errPageList is wrapped by decodePageList's errors.
var errPageList = errors.New("bad page list")

// decodePageList parses a page list that must name n pages, each a
// positive ID.
func decodePageList(b []byte, n int) ([]int64, error) {
	if n < 0 || n > len(b) { // every entry takes at least one byte
		return nil, fmt.Errorf("%w: %d bytes for %d pages", errPageList, len(b), n)
	}
	ids := make([]int64, 0, n)
	prev := int64(0)
	for len(b) > 0 {
		d, k := binary.Varint(b)
		if k <= 0 {
			return nil, fmt.Errorf("%w: bad varint at entry %d", errPageList, len(ids))
		}
		b = b[k:]
		id := prev + d
		if (d > 0 && id < prev) || (d < 0 && id > prev) || id <= 0 {
			return nil, fmt.Errorf("%w: entry %d is page %d", errPageList, len(ids), id)
		}
		ids = append(ids, id)
		prev = id
	}
	if len(ids) != n {
		return nil, fmt.Errorf("%w: %d pages, want %d", errPageList, len(ids), n)
	}
	return ids, nil
}

// Page encodings. A stored page is S2-compressed (github.com/klauspost/compress/s2)
// behind a one-byte tag, tagS2; pages written before that are raw DEFLATE
// streams. The tag cannot start a DEFLATE stream (its block type bits are
// 11, which DEFLATE reserves), so the two never mix up. S2 compresses a
// heap page about ten times faster than DEFLATE for a quarter more bytes
// (docs/wasm-worker.md).
const tagS2 = 0x07

// codec compresses and decompresses snapshot pages, reusing its buffers.
type codec struct {
	zr io.ReadCloser
	br bytes.Reader
}

// compress returns a page's stored form (a new slice).
func (c *codec) compress(page []byte) []byte {
	out := make([]byte, 1+s2.MaxEncodedLen(len(page)))
	out[0] = tagS2
	n := len(s2.Encode(out[1:], page))
	return slices.Clip(out[:1+n])
}

// decompressInto decodes a stored page into dst, which it must fill exactly.
func (c *codec) decompressInto(dst, b []byte) error {
	if len(b) > 0 && b[0] == tagS2 {
		n, err := s2.DecodedLen(b[1:])
		if err != nil {
			return fmt.Errorf("decompress: %w", err)
		}
		if n != len(dst) {
			return fmt.Errorf("decompress: %d bytes, want %d", n, len(dst))
		}
		if _, err := s2.Decode(dst, b[1:]); err != nil {
			return fmt.Errorf("decompress: %w", err)
		}
		return nil
	}
	return c.inflateInto(dst, b)
}

// inflateInto decompresses the DEFLATE stream b into dst, which it must
// fill exactly.
func (c *codec) inflateInto(dst, b []byte) error {
	c.br.Reset(b)
	if c.zr == nil {
		c.zr = flate.NewReader(&c.br)
	} else if err := c.zr.(flate.Resetter).Reset(&c.br, nil); err != nil {
		return fmt.Errorf("decompress: %w", err)
	}
	if _, err := io.ReadFull(c.zr, dst); err != nil {
		return fmt.Errorf("decompress: %w", err)
	}
	var one [1]byte
	if n, err := c.zr.Read(one[:]); n != 0 || (err != nil && err != io.EOF) {
		return fmt.Errorf("decompress: more than %d bytes", len(dst))
	}
	return nil
}

// inflate decompresses b, which must hold exactly size bytes (a snapshot
// of a store made before pages).
func (c *codec) inflate(b []byte, size int64) ([]byte, error) {
	if size < 0 || size > 1<<34 {
		return nil, fmt.Errorf("size %d", size)
	}
	out := make([]byte, size)
	if err := c.inflateInto(out, b); err != nil {
		return nil, err
	}
	return out, nil
}

// pageCache keeps uncompressed snapshot pages seen last — read, or found
// stored when a snapshot was saved — by page ID and by hash, so that
// restoring vats made from one bundle decompresses their shared pages
// once, and saving one looks up only the pages it does not share. A page
// read from the database was checked against its hash before it is
// cached; page IDs are never reused (AUTOINCREMENT), and a deleted page is
// dropped. Eviction is a clock: a page used since the hand last passed
// stays one more round.
type pageCache struct {
	byID   map[int64]*cachedPage
	byHash map[pageHash]*cachedPage
	ring   []*cachedPage
	hand   int
}

type cachedPage struct {
	id   int64
	hash pageHash
	page []byte
	used bool
}

// pageCacheSize bounds the cache: 2,048 pages, 8 MiB.
const pageCacheSize = 2048

func (c *pageCache) get(id int64) (*cachedPage, bool) {
	p, ok := c.byID[id]
	if ok {
		p.used = true
	}
	return p, ok
}

// idOf returns the ID of a cached page.
func (c *pageCache) idOf(h pageHash) (int64, bool) {
	p, ok := c.byHash[h]
	if ok {
		p.used = true
		return p.id, true
	}
	return 0, false
}

// put caches a copy of page id.
func (c *pageCache) put(id int64, hash pageHash, page []byte) {
	if len(page) != snapPageSize {
		return // a snapshot's first piece: not shared
	}
	if c.byID == nil {
		c.byID = make(map[int64]*cachedPage, pageCacheSize)
		c.byHash = make(map[pageHash]*cachedPage, pageCacheSize)
	}
	if p, ok := c.byID[id]; ok {
		p.used = true
		return
	}
	e := &cachedPage{id: id, hash: hash, page: slices.Clone(page)}
	if len(c.ring) < pageCacheSize {
		c.ring = append(c.ring, e)
	} else {
		for {
			old := c.ring[c.hand]
			if !old.used {
				c.remove(old)
				break
			}
			old.used = false
			c.hand = (c.hand + 1) % len(c.ring)
		}
		c.ring[c.hand] = e
		c.hand = (c.hand + 1) % len(c.ring)
	}
	c.byID[id] = e
	c.byHash[hash] = e
}

func (c *pageCache) remove(p *cachedPage) {
	if c.byID[p.id] == p {
		delete(c.byID, p.id)
	}
	if c.byHash[p.hash] == p {
		delete(c.byHash, p.hash)
	}
}

// drop forgets page id (deleted); its ring slot is reused first.
func (c *pageCache) drop(id int64) {
	if p, ok := c.byID[id]; ok {
		c.remove(p)
		p.used = false
	}
}
