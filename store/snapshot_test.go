package store

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// heap returns a fake snapshot: a header of hdr bytes, then pages 4-KiB
// pages, page i filled with the byte fill(i).
func heap(hdr int, pages int, fill func(i int) byte) []byte {
	b := bytes.Repeat([]byte("h"), hdr)
	for i := range pages {
		b = append(b, bytes.Repeat([]byte{fill(i)}, snapPageSize)...)
	}
	return b
}

// TestSnapshots: a snapshot saved in a crank is visible at once, durable
// after Commit, gone if the crank aborts; a replaced snapshot is deleted, a
// shared one kept; a snapshot saved between cranks changes no hash.
func TestSnapshots(t *testing.T) {
	s, path := newTestStore(t)
	data := bytes.Repeat([]byte("heap "), 10_000)
	s.BeginCrank()
	s.SaveSnapshot("v1", 7, "build-1", data)
	s.AbortCrank()
	if _, ok := s.Snapshot("v1"); ok {
		t.Fatal("an aborted crank's snapshot is visible")
	}
	var info SnapshotInfo
	crank(t, s, func() {
		info = s.SaveSnapshot("v1", 7, "build-1", data)
		s.SaveSnapshot("v2", 3, "build-1", data)
	})
	if info.Pos != 7 || info.Size != int64(len(data)) || len(info.Hash) != 64 {
		t.Fatalf("info %+v", info)
	}
	hash := s.ActivityHash()
	s.SaveSnapshot("v3", 1, "build-1", []byte("other")) // between cranks
	if !s.Pending() {
		t.Fatal("a snapshot between cranks is not pending")
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if s.ActivityHash() != hash {
		t.Fatal("a snapshot changed the activity hash")
	}
	s.Close()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, back, ok, err := s.LoadSnapshot("v1")
	if info.Stored = got.Stored; got.Stored >= info.Size/10 || got.Stored == 0 {
		t.Fatalf("stored %d bytes of %d", got.Stored, info.Size)
	}
	if err != nil || !ok || !bytes.Equal(back, data) || got != info {
		t.Fatalf("load: %+v %v %v (%d bytes)", got, ok, err, len(back))
	}
	if vats := s.SnapshotVats(); !slices.Equal(vats, []string{"v1", "v2", "v3"}) {
		t.Fatalf("snapshot vats %q", vats)
	}
	crank(t, s, func() {
		s.SaveSnapshot("v1", 9, "build-1", []byte("newer"))
		s.DeleteSnapshot("v3")
	})
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := s.count(t, "snapshotLists"); n != 2 { // v2's (shared with v1 before) and v1's new one
		t.Fatalf("%d lists stored, want 2", n)
	}
	if _, ok := s.Snapshot("v3"); ok {
		t.Fatal("deleted snapshot still there")
	}
	s.checkRefs(t)
}

func (s *Store) count(t *testing.T, table string) int {
	t.Helper()
	st := s.mustStmt("SELECT count(*) FROM " + table)
	defer st.Reset()
	st.Step()
	return st.ColumnInt(0)
}

// checkRefs fails unless every page's count is the number of lists that
// hold it, every page has data and every list a vat.
func (s *Store) checkRefs(t *testing.T) {
	t.Helper()
	holders := map[int64]int64{}
	st := s.mustStmt("SELECT size, pages FROM snapshotLists")
	for st.Step() {
		n, _ := pageCount(st.ColumnInt64(0))
		ids, err := decodePageList(st.ColumnBlob(1, nil), n)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(ids)
		for _, id := range slices.Compact(ids) {
			holders[id]++
		}
	}
	st.Reset()
	st = s.mustStmt("SELECT p.id, p.refs, d.id FROM snapshotPages p LEFT JOIN snapshotPageData d ON d.id = p.id")
	rows := 0
	for st.Step() {
		rows++
		id, refs := st.ColumnInt64(0), st.ColumnInt64(1)
		if refs != holders[id] || refs <= 0 || st.ColumnInt64(2) != id {
			t.Errorf("page %d: refs %d, held by %d lists, data %d", id, refs, holders[id], st.ColumnInt64(2))
		}
	}
	st.Reset()
	if rows != len(holders) || s.count(t, "snapshotPageData") != rows {
		t.Errorf("%d pages, %d held, %d data rows", rows, len(holders), s.count(t, "snapshotPageData"))
	}
	if n := s.count(t, "snapshotLists WHERE hash NOT IN (SELECT hash FROM vatSnapshots)"); n != 0 {
		t.Errorf("%d lists no vat uses", n)
	}
}

// TestSnapshotPages: snapshots are stored by page, each distinct page
// once; pages line up with the end of a snapshot whatever its header;
// deleting or replacing a snapshot frees the pages only it held, in the
// same commit; a between-cranks snapshot replaced in its block leaves no
// page behind.
func TestSnapshotPages(t *testing.T) {
	s, path := newTestStore(t)
	base := func(i int) byte { return byte(i % 5) } // 5 distinct pages
	a := heap(100, 40, base)
	b := heap(5000, 40, func(i int) byte { // another header, two pages differ
		if i == 3 || i == 30 {
			return 0xa0 + byte(i)
		}
		return base(i)
	})
	crank(t, s, func() { s.SaveSnapshot("v1", 1, "b", a) })
	infoB := s.SaveSnapshot("v2", 1, "b", b) // between cranks: prepared at once
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	// a: its 100-byte head and 5 pages; b: a 904-byte head, a full page of
	// header, 5 shared pages and 2 of its own.
	if n := s.count(t, "snapshotPages"); n != 1+5+2+2 {
		t.Fatalf("%d pages stored, want 10", n)
	}
	if infoB.Stored == 0 || infoB.Stored > 2000 {
		t.Fatalf("b added %d bytes", infoB.Stored)
	}
	s.checkRefs(t)
	for vat, want := range map[string][]byte{"v1": a, "v2": b} {
		if _, got, _, err := s.LoadSnapshot(vat); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("load %s: %v", vat, err)
		}
	}

	// Replace v2 between cranks twice in one block, then delete v1: only
	// the last replacement's pages stay.
	c := heap(5000, 40, func(i int) byte { return base(i) + 0x10 })
	s.SaveSnapshot("v2", 2, "b", heap(5000, 40, func(i int) byte { return 0x50 }))
	if _, got, _, err := s.LoadSnapshot("v2"); err != nil || got[len(got)-1] != 0x50 {
		t.Fatalf("load pending v2: %v", err)
	}
	s.SaveSnapshot("v2", 3, "b", c)
	crank(t, s, func() { s.DeleteSnapshot("v1") })
	if _, got, _, err := s.LoadSnapshot("v2"); err != nil || !bytes.Equal(got, c) {
		t.Fatalf("load pending v2: %v", err)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := s.count(t, "snapshotPages"); n != 2+5 {
		t.Fatalf("%d pages stored, want 7", n)
	}
	s.checkRefs(t)
	s.Close()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, got, _, err := s.LoadSnapshot("v2"); err != nil || !bytes.Equal(got, c) {
		t.Fatalf("load v2 after reopen: %v", err)
	}
	crank(t, s, func() { s.DeleteSnapshot("v2") })
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"snapshotPages", "snapshotPageData", "snapshotLists", "vatSnapshots"} {
		if n := s.count(t, table); n != 0 {
			t.Errorf("%d rows left in %s", n, table)
		}
	}
	// The deleted pages are not believed stored (the page cache forgot them).
	s.SaveSnapshot("v3", 1, "b", c)
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, got, _, err := s.LoadSnapshot("v3"); err != nil || !bytes.Equal(got, c) {
		t.Fatalf("load v3: %v", err)
	}
	s.checkRefs(t)
}

// TestSnapshotPageCount: pages are cut from the end.
func TestSnapshotPageCount(t *testing.T) {
	for _, c := range []struct {
		size     int64
		n, first int
	}{{0, 0, 0}, {1, 1, 1}, {4096, 1, 4096}, {4097, 2, 1}, {3 * 4096, 3, 4096}, {3*4096 + 100, 4, 100}} {
		if n, first := pageCount(c.size); n != c.n || first != c.first {
			t.Errorf("pageCount(%d) = %d, %d; want %d, %d", c.size, n, first, c.n, c.first)
		}
	}
}

// TestCorruptSnapshot: stored pages that do not rebuild the recorded hash
// are an ErrSnapshotCorrupt naming the vat, never a panic.
func TestCorruptSnapshot(t *testing.T) {
	s, _ := newTestStore(t)
	data := heap(1000, 3, func(i int) byte { return byte(i) })
	crank(t, s, func() { s.SaveSnapshot("v4", 2, "b", data) })
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	for name, sql := range map[string]string{
		"garbage":     "UPDATE snapshotPageData SET data = x'00ff00ff'",
		"empty":       "UPDATE snapshotPageData SET data = x''",
		"other page":  fmt.Sprintf("UPDATE snapshotPageData SET data = x'%x'", deflate(bytes.Repeat([]byte{9}, snapPageSize))),
		"too long":    fmt.Sprintf("UPDATE snapshotPageData SET data = x'%x'", deflate(bytes.Repeat([]byte{9}, snapPageSize+1))),
		"other S2":    fmt.Sprintf("UPDATE snapshotPageData SET data = x'%x'", (&codec{}).compress(bytes.Repeat([]byte{9}, snapPageSize))),
		"long S2":     fmt.Sprintf("UPDATE snapshotPageData SET data = x'%x'", (&codec{}).compress(bytes.Repeat([]byte{9}, snapPageSize+1))),
		"bad S2":      "UPDATE snapshotPageData SET data = x'07802001'",
		"no page":     "DELETE FROM snapshotPageData",
		"bad list":    "UPDATE snapshotLists SET pages = x'ffffffff'",
		"short list":  "UPDATE snapshotLists SET pages = x'02'",
		"no list":     "DELETE FROM snapshotLists",
		"wrong size":  "UPDATE snapshotLists SET size = size + 1",
		"swapped ids": "UPDATE snapshotLists SET pages = x'04010402'",
	} {
		t.Run(name, func(t *testing.T) {
			if err := s.exec("SAVEPOINT x"); err != nil {
				t.Fatal(err)
			}
			defer s.exec("ROLLBACK TO x")
			if err := s.exec(sql); err != nil {
				t.Fatal(err)
			}
			s.pageCache = pageCache{}
			_, _, ok, err := s.LoadSnapshot("v4")
			if !ok || !errors.Is(err, ErrSnapshotCorrupt) || !strings.Contains(err.Error(), "v4 at position 2") {
				t.Fatalf("ok=%v err=%v", ok, err)
			}
		})
	}
}

// deflate returns b as a page was stored before S2: a raw DEFLATE stream.
func deflate(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := flate.NewWriter(&buf, flate.BestSpeed)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// TestDeflatePagesLoad: pages stored as DEFLATE (before S2) still load,
// in a snapshot whose other pages are S2.
func TestDeflatePagesLoad(t *testing.T) {
	s, _ := newTestStore(t)
	data := heap(1000, 3, func(i int) byte { return byte(i % 251) })
	crank(t, s, func() { s.SaveSnapshot("v4", 2, "b", data) })
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	var c codec
	var ids []int64
	st := s.mustStmt("SELECT id, data FROM snapshotPageData ORDER BY id")
	pages := map[int64][]byte{}
	for st.Step() {
		id := st.ColumnInt64(0)
		ids = append(ids, id)
		page := make([]byte, snapPageSize)
		if err := c.decompressInto(page, st.ColumnRawBlob(1)); err != nil {
			// the first piece is shorter
			page = make([]byte, 1000)
			if err := c.decompressInto(page, st.ColumnRawBlob(1)); err != nil {
				t.Fatal(err)
			}
		}
		if st.ColumnRawBlob(1)[0] != tagS2 {
			t.Errorf("page %d is not stored as S2", id)
		}
		pages[id] = page
	}
	st.Reset()
	if len(ids) < 2 {
		t.Fatalf("%d pages stored", len(ids))
	}
	// Rewrite every other page as DEFLATE.
	for i, id := range ids {
		if i%2 == 0 {
			if err := s.exec("UPDATE snapshotPageData SET data = ? WHERE id = ?", deflate(pages[id]), id); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.pageCache = pageCache{}
	_, got, ok, err := s.LoadSnapshot("v4")
	if !ok || err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ok=%v err=%v equal=%v", ok, err, bytes.Equal(got, data))
	}
}

// FuzzDecompressPage: any stored bytes decode to exactly one page or are an
// error, never a panic or a short page; what compress makes round-trips.
func FuzzDecompressPage(f *testing.F) {
	var c codec
	f.Add(c.compress(bytes.Repeat([]byte{7}, snapPageSize)))
	f.Add(deflate(bytes.Repeat([]byte{7}, snapPageSize)))
	f.Add([]byte{tagS2})
	f.Add([]byte{tagS2, 0x80, 0x20, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		dst := make([]byte, snapPageSize)
		if err := c.decompressInto(dst, b); err != nil {
			return
		}
		if err := c.decompressInto(make([]byte, snapPageSize), c.compress(dst)); err != nil {
			t.Fatalf("a decoded page does not round-trip: %v", err)
		}
	})
}

// legacyStore makes a store as made before pages, holding data as vat v1's
// whole-blob snapshot, and returns its path.
func legacyStore(t *testing.T, data []byte) string {
	t.Helper()
	s, path := newTestStore(t)
	var buf bytes.Buffer
	zw, _ := flate.NewWriter(&buf, flate.BestSpeed)
	zw.Write(data)
	zw.Close()
	sum := sha256.Sum256(data)
	legacyHash := hex.EncodeToString(sum[:])
	for _, sql := range []string{
		"DROP TABLE snapshotPages", "DROP TABLE snapshotPageData", "DROP TABLE snapshotLists",
		"CREATE TABLE snapshots (hash TEXT PRIMARY KEY, size INTEGER NOT NULL, data BLOB NOT NULL)",
	} {
		if err := s.exec(sql); err != nil {
			t.Fatal(err)
		}
	}
	for _, sql := range []struct {
		q    string
		args []any
	}{
		{"INSERT INTO snapshots VALUES (?, ?, ?)", []any{legacyHash, len(data), buf.Bytes()}},
		{"INSERT INTO snapshots VALUES (?, ?, ?)", []any{strings.Repeat("0", 64), 5, []byte("junk")}},
		{"INSERT INTO vatSnapshots VALUES ('v1', 5, ?, 'b')", []any{legacyHash}},
		{"INSERT INTO vatSnapshots VALUES ('v2', 5, ?, 'b')", []any{strings.Repeat("0", 64)}},
	} {
		if err := s.exec(sql.q, sql.args...); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLegacySnapshots: a store with whole-blob snapshots is read as it is
// when opened read-only, and converted to pages when opened for writing;
// a blob that does not match its hash becomes a corrupt snapshot.
func TestLegacySnapshots(t *testing.T) {
	data := heap(300, 20, func(i int) byte { return byte(i % 3) })
	path := legacyStore(t, data)
	check := func(s *Store) {
		t.Helper()
		info, got, ok, err := s.LoadSnapshot("v1")
		if err != nil || !ok || !bytes.Equal(got, data) || info.Pos != 5 || info.Size != int64(len(data)) {
			t.Fatalf("load v1: %+v %v %v", info, ok, err)
		}
		if _, _, ok, err := s.LoadSnapshot("v2"); !ok || !errors.Is(err, ErrSnapshotCorrupt) {
			t.Fatalf("load v2: %v %v", ok, err)
		}
	}
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	check(ro)
	ro.Close()
	var notes []string
	s, err := Open(path, Options{Note: func(m string) { notes = append(notes, m) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(notes) != 1 || !strings.Contains(notes[0], "stored heap snapshots by page") {
		t.Fatalf("notes %q", notes)
	}
	if s.hasTable("snapshots") || s.count(t, "snapshotPages") != 1+3 {
		t.Fatalf("not converted: %d pages", s.count(t, "snapshotPages"))
	}
	check(s)
	crank(t, s, func() { s.DeleteSnapshot("v2"); s.SaveSnapshot("v1", 6, "b", data[1:]) })
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	s.checkRefs(t)
}

// FuzzDecodePageList: any bytes decode to a list of positive IDs or an
// error; a decoded list encodes back to the same bytes.
func FuzzDecodePageList(f *testing.F) {
	f.Add(encodePageList([]int64{1, 2, 3, 900, 4}), 5)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 1)
	f.Add([]byte{}, 0)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		ids, err := decodePageList(b, n)
		if err != nil {
			return
		}
		if len(ids) != n || slices.ContainsFunc(ids, func(id int64) bool { return id <= 0 }) {
			t.Fatalf("ids %v for n %d", ids, n)
		}
		if again, err := decodePageList(encodePageList(ids), n); err != nil || !slices.Equal(again, ids) {
			t.Fatalf("round trip %v: %v %v", ids, again, err)
		}
	})
}

// TestPageCache: the cache holds at most pageCacheSize pages; a page used
// since the clock hand passed survives an eviction round; a dropped page
// is gone by ID and by hash; a snapshot's short first piece is not cached.
func TestPageCache(t *testing.T) {
	var c pageCache
	page := func(i int) ([]byte, pageHash) {
		p := bytes.Repeat([]byte{byte(i), byte(i >> 8)}, snapPageSize/2)
		return p, sha256.Sum256(p)
	}
	for i := 1; i <= pageCacheSize; i++ {
		p, h := page(i)
		c.put(int64(i), h, p)
	}
	p, h := page(pageCacheSize + 1)
	c.put(pageCacheSize+1, h, p) // the hand is at page 1, unused
	if _, ok := c.get(1); ok {
		t.Fatal("page 1 not evicted")
	}
	if _, ok := c.get(2); !ok { // marks 2 used
		t.Fatal("page 2 evicted")
	}
	p, h = page(pageCacheSize + 2)
	c.put(pageCacheSize+2, h, p) // passes 2, evicts 3
	if _, ok := c.get(2); !ok {
		t.Fatal("used page 2 was evicted")
	}
	if _, ok := c.get(3); ok {
		t.Fatal("page 3 not evicted")
	}
	if len(c.byID) != pageCacheSize || len(c.byHash) != pageCacheSize {
		t.Fatalf("%d/%d pages cached, want %d", len(c.byID), len(c.byHash), pageCacheSize)
	}
	_, h7 := page(7)
	if id, ok := c.idOf(h7); !ok || id != 7 {
		t.Fatalf("idOf page 7: %d %v", id, ok)
	}
	c.drop(7)
	if _, ok := c.get(7); ok {
		t.Fatal("dropped page still cached")
	}
	if _, ok := c.idOf(h7); ok {
		t.Fatal("dropped page still cached by hash")
	}
	c.put(99999, pageHash{}, []byte("short"))
	if _, ok := c.get(99999); ok {
		t.Fatal("a short first piece was cached")
	}
}

// TestHashPagesSince: hashing a snapshot against an earlier one gives the
// hashes a full hash gives, whatever the two share (pages moved, a header
// of another length, a heap grown or shrunk, nothing in common).
func TestHashPagesSince(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	page := func(seed byte) []byte { return bytes.Repeat([]byte{seed}, snapPageSize) }
	snapshot := func(header int, pages ...byte) []byte {
		b := make([]byte, header)
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		for _, p := range pages {
			b = append(b, page(p)...)
		}
		return b
	}
	cases := []struct {
		name       string
		prev, data []byte
	}{
		{"same", snapshot(100, 1, 2, 3), snapshot(100, 1, 2, 3)},
		{"one page changed", snapshot(100, 1, 2, 3), snapshot(100, 1, 9, 3)},
		{"longer header", snapshot(100, 1, 2, 3), snapshot(300, 1, 2, 3)},
		{"no header", snapshot(0, 1, 2, 3), snapshot(0, 1, 2, 3)},
		{"header gone", snapshot(50, 1, 2, 3), snapshot(0, 1, 2, 3)},
		{"grown", snapshot(100, 1, 2, 3), snapshot(100, 1, 2, 3, 4, 5)},
		{"shrunk", snapshot(100, 1, 2, 3, 4), snapshot(100, 3, 4)},
		{"shifted", snapshot(100, 1, 2, 3), snapshot(100, 2, 3, 1)},
		{"first time", nil, snapshot(100, 1, 2)},
		{"empty", snapshot(10, 1), nil},
	}
	for i := range 50 {
		var a, b []byte
		for range r.IntN(6) {
			a = append(a, byte(r.IntN(4)))
		}
		for range r.IntN(6) {
			b = append(b, byte(r.IntN(4)))
		}
		cases = append(cases, struct {
			name       string
			prev, data []byte
		}{fmt.Sprintf("random %d", i), snapshot(r.IntN(3*snapPageSize), a...), snapshot(r.IntN(3*snapPageSize), b...)})
	}
	for _, c := range cases {
		got := hashPagesSince(c.data, c.prev, hashPages(c.prev))
		if want := hashPages(c.data); !slices.Equal(got, want) {
			t.Errorf("%s: hashes differ from a full hash", c.name)
		}
	}
	// A list of hashes that does not fit prev is ignored.
	prev, data := snapshot(100, 1, 2), snapshot(100, 1, 2)
	if got := hashPagesSince(data, prev, hashPages(prev)[:1]); !slices.Equal(got, hashPages(data)) {
		t.Error("a mismatched list was used")
	}
}

// TestLastSavedBounded: what is kept to hash the next snapshot stays within
// its bounds.
func TestLastSavedBounded(t *testing.T) {
	var l lastSaved
	for i := range 3 * lastSavedVats {
		vat := fmt.Sprintf("v%d", i%(lastSavedVats+3))
		l.hashPages(vat, bytes.Repeat([]byte{byte(i)}, 3*snapPageSize))
		if len(l.vats) > lastSavedVats || len(l.saved) != len(l.vats) || l.bytes != len(l.vats)*3*snapPageSize {
			t.Fatalf("after %d: %d vats, %d kept, %d bytes", i, len(l.vats), len(l.saved), l.bytes)
		}
	}
	l.hashPages("big", make([]byte, lastSavedBytes+snapPageSize))
	if _, ok := l.saved["big"]; ok || l.bytes > lastSavedBytes {
		t.Fatalf("a snapshot over the byte bound was kept (%d bytes)", l.bytes)
	}
}

// TestLoadedSnapshotIsBase: a snapshot loaded and checked is what the
// vat's next snapshot is hashed against, and that one's hashes are a full
// hash's.
func TestLoadedSnapshotIsBase(t *testing.T) {
	s, _ := newTestStore(t)
	data := heap(100, 6, func(i int) byte { return byte(i + 1) })
	crank(t, s, func() { s.SaveSnapshot("v4", 2, "b", data) })
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	s.lastSaved = lastSaved{}
	s.pageCache = pageCache{}
	_, got, ok, err := s.LoadSnapshot("v4")
	if !ok || err != nil {
		t.Fatalf("load: %v %v", ok, err)
	}
	kept, ok := s.lastSaved.saved["v4"]
	if !ok || !bytes.Equal(kept.data, got) || !slices.Equal(kept.pages, hashPages(data)) {
		t.Fatal("the loaded snapshot is not kept as the vat's base")
	}
	next := heap(120, 6, func(i int) byte { return byte(i + 1 + i/5) }) // the last page changed
	var info SnapshotInfo
	crank(t, s, func() { info = s.SaveSnapshot("v4", 9, "b", next) })
	if want := snapshotHash(int64(len(next)), hashPages(next)); info.Hash != want {
		t.Fatalf("hash %s, want %s", info.Hash, want)
	}
}

// TestSnapshotBase: a vat given the image it started from has its first
// snapshot hashed against it, with the hashes a full hash gives, whatever
// it changed; the image's page hashes are made once per key; a snapshot
// saved or loaded takes the image's place.
func TestSnapshotBase(t *testing.T) {
	s, _ := newTestStore(t)
	image := heap(0, 8, func(i int) byte { return byte(10 + i) })
	s.SetSnapshotBase("v4", "tmpl", image)
	s.SetSnapshotBase("v5", "tmpl", image)
	if len(s.lastSaved.images) != 1 || s.lastSaved.baseOf["v4"] != "tmpl" || s.lastSaved.baseOf["v5"] != "tmpl" {
		t.Fatalf("images %d, bases %v", len(s.lastSaved.images), s.lastSaved.baseOf)
	}
	for _, c := range []struct {
		vat  string
		data []byte
	}{
		{"v4", heap(90, 8, func(i int) byte { return byte(10 + i + i/6) })}, // the last two pages changed
		{"v5", heap(90, 9, func(i int) byte { return byte(10 + i) })},       // grown: nothing lines up
	} {
		var info SnapshotInfo
		crank(t, s, func() { info = s.SaveSnapshot(c.vat, 3, "b", c.data) })
		if want := snapshotHash(int64(len(c.data)), hashPages(c.data)); info.Hash != want {
			t.Errorf("%s: hash %s, want %s", c.vat, info.Hash, want)
		}
		if _, ok := s.lastSaved.baseOf[c.vat]; ok {
			t.Errorf("%s: still hashed against the image after a snapshot", c.vat)
		}
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	// A base set again (a new incarnation from the template) replaces the
	// kept snapshot; loading one replaces the base.
	s.SetSnapshotBase("v4", "tmpl", image)
	if _, ok := s.lastSaved.saved["v4"]; ok || s.lastSaved.baseOf["v4"] != "tmpl" {
		t.Error("a new base did not replace the kept snapshot")
	}
	s.pageCache = pageCache{}
	if _, _, ok, err := s.LoadSnapshot("v4"); !ok || err != nil {
		t.Fatalf("load: %v %v", ok, err)
	}
	if _, ok := s.lastSaved.baseOf["v4"]; ok {
		t.Error("a loaded snapshot did not replace the base")
	}
}

// TestSnapshotRefsProperty saves, replaces and deletes the snapshots of a
// few vats at random, block after block, from a small pool of pages (so
// vats share pages, and one vat's new snapshot is often another's old
// one), loading some in between and making snapshots in the buffers the
// store gives back: after every commit each page's count is the number of
// lists that hold it, and every vat loads exactly what it last saved.
func TestSnapshotRefsProperty(t *testing.T) {
	pool := make([][]byte, 6)
	for i := range pool {
		pool[i] = bytes.Repeat([]byte{byte('a' + i)}, snapPageSize)
	}
	vats := []string{"v1", "v2", "v3", "v4"}
	reused := 0
	defer func() {
		if reused == 0 {
			t.Error("no snapshot buffer was reused")
		}
	}()
	for seed := uint64(1); seed <= 12; seed++ {
		r := rand.New(rand.NewPCG(seed, 0))
		s, _ := newTestStore(t)
		want := map[string][]byte{}
		for block := range 25 {
			// Loading a vat's snapshot (paging it in) makes it the base its
			// next one is hashed against.
			if v := vats[r.IntN(len(vats))]; want[v] != nil && r.IntN(3) == 0 {
				if _, _, _, err := s.LoadSnapshot(v); err != nil {
					t.Fatal(err)
				}
			}
			for range 1 + r.IntN(4) {
				v := vats[r.IntN(len(vats))]
				// Snapshots are made in the buffers the store gives back, as
				// the kernel does: one still in use would be caught.
				data := s.SnapshotBuffer()
				if data != nil {
					reused++
				}
				for range 2 + r.IntN(4) {
					data = append(data, pool[r.IntN(len(pool))]...)
				}

				if r.IntN(5) == 0 && want[v] != nil {
					data = nil // delete
				}
				save := func() {
					if data == nil {
						s.DeleteSnapshot(v)
					} else {
						s.SaveSnapshot(v, uint64(block), "b", data)
					}
				}
				if data == nil || r.IntN(2) == 0 {
					crank(t, s, save)
				} else {
					save() // between cranks
				}
				if data == nil {
					delete(want, v)
				} else {
					want[v] = bytes.Clone(data) // data is the store's now
					if w := vats[r.IntN(len(vats))]; w != v && r.IntN(6) == 0 {
						// The very same bytes saved for a second vat.
						crank(t, s, func() { s.SaveSnapshot(w, uint64(block), "b", data) })
						want[w] = want[v]
					}
				}
			}
			if err := s.Commit(); err != nil {
				t.Fatalf("seed %d block %d: %v", seed, block, err)
			}
			s.checkRefs(t)
			for _, v := range vats {
				_, got, ok, err := s.LoadSnapshot(v)
				if err != nil || ok != (want[v] != nil) || !bytes.Equal(got, want[v]) {
					t.Fatalf("seed %d block %d: %s loads %d bytes (%v, %v), want %d", seed, block, v, len(got), ok, err, len(want[v]))
				}
			}
		}
		s.Close()
	}
}

// BenchmarkSnapshotReplace times a vat's next snapshot and its commit: a
// 3 MiB heap of which 16 pages changed since the last one (the pattern of
// a periodic snapshot, or of paging out a vat that was paged in).
//
//	go test -run - -bench SnapshotReplace ./store
func BenchmarkSnapshotReplace(b *testing.B) {
	s, _ := newTestStore(b)
	heap := make([]byte, 3<<20)
	for i := range heap {
		heap[i] = byte(i * 7 / 4093)
	}
	n := 0
	save := func() {
		for p := range 16 {
			off := (n*16 + p) * 37 % (len(heap) / snapPageSize) * snapPageSize
			heap[off] = byte(n)
			heap[off+1] = byte(n >> 8)
		}
		n++
		s.SaveSnapshot("v1", uint64(n), "b", bytes.Clone(heap))
		if err := s.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	save()
	for b.Loop() {
		save()
	}
}

// TestSnapshotBufferReuse: SnapshotBuffer hands back the buffer of a vat's
// replaced snapshot, and never one still needed: not one a pending block
// must still write (its vat's next snapshot came in a crank that was
// aborted), nor one another vat was given too.
func TestSnapshotBufferReuse(t *testing.T) {
	page := func(c byte) []byte { return bytes.Repeat([]byte{c}, 2*snapPageSize) }
	s, _ := newTestStore(t)
	a := page('a')
	s.SaveSnapshot("v1", 1, "b", a) // between cranks: its pages are packed at once
	s.SaveSnapshot("v1", 2, "b", page('b'))
	if got := s.SnapshotBuffer(); cap(got) == 0 || &got[:1][0] != &a[0] {
		t.Fatal("the replaced snapshot's buffer was not handed back")
	}
	if got := s.SnapshotBuffer(); got != nil {
		t.Fatal("a buffer handed back twice")
	}

	// Saved in a crank: the block holds it until the commit.
	c := page('c')
	crank(t, s, func() { s.SaveSnapshot("v1", 3, "b", c) })
	s.BeginCrank()
	s.SaveSnapshot("v1", 4, "b", page('d'))
	s.AbortCrank()
	if got := s.SnapshotBuffer(); got != nil {
		copy(got[:cap(got)], page('x'))
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, got, _, err := s.LoadSnapshot("v1"); err != nil || !bytes.Equal(got, page('c')) {
		t.Fatalf("v1 loads %.8q…, %v; want the committed c", got, err)
	}

	// The same bytes given for two vats.
	e := page('e')
	s.SaveSnapshot("v2", 1, "b", e)
	s.SaveSnapshot("v3", 1, "b", e)
	s.SaveSnapshot("v2", 2, "b", page('f'))
	if got := s.SnapshotBuffer(); got != nil && &got[:1][0] == &e[0] {
		t.Fatal("a buffer v3 still holds was handed back")
	}
}
