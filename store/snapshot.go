package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"unsafe"

	"github.com/ncruces/go-sqlite3"
)

// ErrSnapshotCorrupt is returned by [Store.LoadSnapshot] for a snapshot whose
// stored pages do not rebuild what was saved (their SHA-256 differs).
var ErrSnapshotCorrupt = errors.New("store: corrupt snapshot")

// snapshotSQL makes the snapshot tables. A snapshot is a list of pages
// (pages.go): snapshotLists, content-addressed by the snapshot's hash
// ([SnapshotInfo.Hash]), holds its size and page list; snapshotPages maps
// each distinct page's SHA-256 to its ID and counts the lists holding it;
// snapshotPageData holds the compressed page (pages.go); vatSnapshots names each vat's
// current snapshot. A list no vat uses, and a page no list holds, are
// deleted in the transaction that drops the last use. Old stores get the
// tables when opened for writing, and their whole-blob snapshots are
// converted (migrateSnapshots).
const snapshotSQL = `
CREATE TABLE IF NOT EXISTS snapshotPages (id INTEGER PRIMARY KEY AUTOINCREMENT, hash BLOB NOT NULL UNIQUE, refs INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS snapshotPageData (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS snapshotLists (hash TEXT PRIMARY KEY, size INTEGER NOT NULL, stored INTEGER NOT NULL, pages BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS vatSnapshots (
	vatID TEXT PRIMARY KEY,
	position INTEGER NOT NULL,
	hash TEXT NOT NULL,
	build TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS vatSnapshotsByHash ON vatSnapshots (hash);
`

// SnapshotInfo describes a vat's heap snapshot.
type SnapshotInfo struct {
	Vat string
	// Pos is the transcript position the snapshot resumes at: the
	// deliveries before it are in the snapshot, replay starts there.
	Pos uint64
	// Hash is the snapshot's content hash: the hex SHA-256 of its size and
	// the SHA-256 of each of its pages (see snapshotHash).
	Hash string
	// Build names the worker code that made it; only the same build loads it.
	Build string
	// Size is the uncompressed size in bytes. Stored is what the snapshot
	// added to the database when it was written: its pages no other
	// snapshot held, compressed, and its page list.
	Size, Stored int64
}

// snapshotChange is a pending snapshot of a vat; nil info means deleted.
// A snapshot saved in a crank stays as it is (data) until Commit, as a
// later crank of the block may replace it; one saved between cranks (a
// vat paged out or closed) is cut into pages at once (pages), its new
// pages compressed into the block, so a block of many such snapshots
// holds only what they add.
type snapshotChange struct {
	info  *SnapshotInfo
	data  []byte     // the whole snapshot, or nil once its new pages are in the block
	pages []pageHash // its pages
	// base is the snapshot the pages were hashed against (lastSaved): its
	// hash ("" for a template image) and page hashes, which name the IDs
	// of the pages the two share once base's list is read.
	base      string
	basePages []pageHash
}

// SaveSnapshot stores data as vat's current snapshot, replacing the
// previous one, in the open crank, or in the block when no crank is open
// (a snapshot taken between blocks changes no hashed state). The snapshot
// is addressed by its content hash; its pages are stored when the block is
// committed (only a vat's last snapshot of a block is written). The store
// keeps data, which the caller must not change.
func (s *Store) SaveSnapshot(vat string, pos uint64, build string, data []byte) SnapshotInfo {
	pages, base := s.lastSaved.hashPages(vat, data)
	info := SnapshotInfo{Vat: vat, Pos: pos, Hash: snapshotHash(int64(len(data)), pages), Build: build, Size: int64(len(data))}
	s.lastSaved.remember(vat, info.Hash, data, pages, true)
	if s.crank != nil {
		s.crank.snapshots[vat] = snapshotChange{info: &info, data: data, pages: pages, base: base.hash, basePages: base.pages}
		return info
	}
	added, err := s.packPages(data, pages, s.block.pages)
	if err != nil {
		s.readErr("snapshot of "+vat, err)
	}
	info.Stored = added
	s.block.snapshots[vat] = snapshotChange{info: &info, pages: pages, base: base.hash, basePages: base.pages}
	return info
}

// SetSnapshotBase gives vat, if the store keeps no recent snapshot of it,
// image as the snapshot its next one is hashed against: the image its
// worker started from (vat.SnapshotBaser), named by key (the same key only
// for the same bytes; its page hashes are made once). The store keeps
// image, which the caller must not change.
func (s *Store) SetSnapshotBase(vat, key string, image []byte) {
	s.lastSaved.setBase(vat, key, image)
}

// hashPages returns the hashes of data's pages.
func hashPages(data []byte) []pageHash { return hashPagesSince(data, nil, nil) }

// hashPagesSince returns the hashes of data's pages, given an earlier
// snapshot prev of the same vat and its page hashes: a page equal byte for
// byte to the one at the same distance from the end in prev (pages are cut
// from the end, so a heap's pages line up whatever the header before it)
// has that one's hash, and only the others are hashed.
func hashPagesSince(data, prev []byte, prevPages []pageHash) []pageHash {
	n, _ := pageCount(int64(len(data)))
	pages := make([]pageHash, n)
	pn, pfirst := pageCount(int64(len(prev)))
	if pn != len(prevPages) {
		pn = 0
	}
	forPages(data, func(i int, page []byte) {
		// The page of prev as far from the end, if it is a whole one.
		if j := pn - (n - i); j >= 1 || (j == 0 && pfirst == snapPageSize) {
			end := len(prev) - (n-1-i)*snapPageSize
			if len(page) == snapPageSize && bytes.Equal(page, prev[end-snapPageSize:end]) {
				pages[i] = prevPages[j]
				return
			}
		}
		pages[i] = sha256.Sum256(page)
	})
	return pages
}

// lastSaved keeps the last snapshot saved or loaded of the few vats that
// saved or loaded one last (data and page hashes), so that a vat's next
// snapshot hashes only the pages that changed: a running vat snapshots
// every few hundred deliveries, and a paged-in vat is paged out again,
// having changed a small part of its heap in between. A vat that has
// neither is hashed against the image its worker started from, if it
// named one (SetSnapshotBase): a template shared by many vats.
type lastSaved struct {
	vats  []string // oldest first
	saved map[string]savedSnapshot
	bytes int
	// images are the shared images vats started from, by key; baseOf
	// names each vat's until its first snapshot is saved or loaded.
	images map[string]savedSnapshot
	baseOf map[string]string
	// release is given the data of a saved snapshot no longer kept.
	release func([]byte)
}

type savedSnapshot struct {
	hash  string // the snapshot's hash ("" for a template image)
	data  []byte
	pages []pageHash
	saved bool // data came to SaveSnapshot, so the store owns it
}

// Bounds of lastSaved: vats and bytes kept, shared images.
const (
	lastSavedVats  = 32
	lastSavedBytes = 64 << 20
	maxImages      = 16
)

// hashPages returns the page hashes of data, a new snapshot of vat, and
// the snapshot they were hashed against.
func (l *lastSaved) hashPages(vat string, data []byte) ([]pageHash, savedSnapshot) {
	prev, ok := l.saved[vat]
	if !ok {
		prev = l.images[l.baseOf[vat]]
	}
	return hashPagesSince(data, prev.data, prev.pages), prev
}

// remember keeps data, snapshot hash, with its page hashes, as vat's last
// snapshot (one saved, or loaded and checked), within the bounds.
func (l *lastSaved) remember(vat, hash string, data []byte, pages []pageHash, saved bool) {
	l.forget(vat)
	delete(l.baseOf, vat)
	// Counted by capacity: that is what keeping the data keeps resident.
	if cap(data) > lastSavedBytes {
		return
	}
	for len(l.vats) >= lastSavedVats || (len(l.vats) > 0 && l.bytes+cap(data) > lastSavedBytes) {
		l.forget(l.vats[0])
	}
	if l.saved == nil {
		l.saved = map[string]savedSnapshot{}
	}
	l.saved[vat] = savedSnapshot{hash: hash, data: data, pages: pages, saved: saved}
	l.vats = append(l.vats, vat)
	l.bytes += cap(data)
}

// setBase makes image, named key, what vat's next snapshot is hashed
// against (its worker started from it, so no snapshot of it taken before
// is closer); the image's page hashes are made once per key.
func (l *lastSaved) setBase(vat, key string, image []byte) {
	l.forget(vat)
	if _, ok := l.images[key]; !ok {
		if len(l.images) >= maxImages {
			// A few templates per process: start over.
			clear(l.images)
			clear(l.baseOf)
		}
		if l.images == nil {
			l.images = map[string]savedSnapshot{}
			l.baseOf = map[string]string{}
		}
		l.images[key] = savedSnapshot{data: image, pages: hashPages(image)}
	}
	l.baseOf[vat] = key
}

// forget drops the snapshot kept of vat.
func (l *lastSaved) forget(vat string) {
	s, ok := l.saved[vat]
	if !ok {
		return
	}
	delete(l.saved, vat)
	l.bytes -= cap(s.data)
	l.vats = slices.DeleteFunc(l.vats, func(v string) bool { return v == vat })
	if s.saved && l.release != nil {
		l.release(s.data)
	}
}

// snapshotHash returns the content hash of a snapshot of size bytes with
// pages: the SHA-256 of a tag, the size and the page hashes.
func snapshotHash(size int64, pages []pageHash) string {
	h := sha256.New()
	h.Write([]byte("cooper-snapshot-pages\n"))
	binary.Write(h, binary.LittleEndian, uint64(size))
	binary.Write(h, binary.LittleEndian, uint32(snapPageSize))
	for _, p := range pages {
		h.Write(p[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// packPages compresses into pending the pages of data (whose hashes are
// pages) that are neither stored nor pending, and returns their
// compressed size.
func (s *Store) packPages(data []byte, pages []pageHash, pending map[pageHash][]byte) (added int64, err error) {
	forPages(data, func(i int, page []byte) {
		h := pages[i]
		if _, ok := pending[h]; ok || err != nil {
			return
		}
		if _, ok := s.pageCache.idOf(h); ok {
			return
		}
		id, stored, perr := s.pageID(h)
		if err = perr; stored || err != nil {
			if stored {
				s.pageCache.put(id, h, page)
			}
			return
		}
		packed := s.codec.compress(page)
		pending[h] = packed
		added += int64(len(packed))
	})
	return added, err
}

// pageID returns the ID of a stored page.
func (s *Store) pageID(h pageHash) (int64, bool, error) {
	if !s.hasSnapshotTables() || s.snapTables == legacyTables {
		return 0, false, nil
	}
	st, err := s.stmt("SELECT id FROM snapshotPages WHERE hash = ?")
	if err != nil {
		return 0, false, err
	}
	defer st.Reset()
	st.BindBlob(1, h[:])
	if st.Step() {
		return st.ColumnInt64(0), true, nil
	}
	return 0, false, st.Err()
}

// DeleteSnapshot forgets vat's snapshot in the current crank.
func (s *Store) DeleteSnapshot(vat string) {
	c := s.mustCrank("delete snapshot " + vat)
	c.snapshots[vat] = snapshotChange{}
}

// pendingSnapshot returns an uncommitted snapshot change of vat.
func (s *Store) pendingSnapshot(vat string) (snapshotChange, bool) {
	if s.crank != nil {
		if c, ok := s.crank.snapshots[vat]; ok {
			return c, true
		}
	}
	c, ok := s.block.snapshots[vat]
	return c, ok
}

// Snapshot returns vat's current snapshot, if it has one.
func (s *Store) Snapshot(vat string) (SnapshotInfo, bool) {
	info, _, ok := s.snapshotRow(vat, false)
	return info, ok
}

// snapshotRow returns vat's committed or pending snapshot and, if list, the
// page list of a committed one (nil if it has none).
func (s *Store) snapshotRow(vat string, list bool) (SnapshotInfo, []byte, bool) {
	if c, ok := s.pendingSnapshot(vat); ok {
		if c.info == nil {
			return SnapshotInfo{}, nil, false
		}
		return *c.info, nil, true
	}
	if !s.hasSnapshotTables() {
		return SnapshotInfo{}, nil, false
	}
	q := "SELECT v.position, v.hash, v.build, l.size, l.stored, l.pages FROM vatSnapshots v LEFT JOIN snapshotLists l ON l.hash = v.hash WHERE v.vatID = ?"
	if s.snapTables == legacyTables {
		q = "SELECT v.position, v.hash, v.build, s.size, length(s.data), NULL FROM vatSnapshots v LEFT JOIN snapshots s ON s.hash = v.hash WHERE v.vatID = ?"
	}
	st := s.mustStmt(q)
	defer st.Reset()
	st.BindText(1, vat)
	if st.Step() {
		info := SnapshotInfo{Vat: vat, Pos: uint64(st.ColumnInt64(0)), Hash: st.ColumnText(1), Build: st.ColumnText(2),
			Size: st.ColumnInt64(3), Stored: st.ColumnInt64(4)}
		var pages []byte
		if list && st.ColumnType(5) != sqlite3.NULL {
			pages = st.ColumnBlob(5, []byte{})
		}
		return info, pages, true
	}
	if err := st.Err(); err != nil {
		s.readErr("snapshot of "+vat, err)
	}
	return SnapshotInfo{}, nil, false
}

// LoadSnapshot returns vat's current snapshot and its uncompressed bytes.
// Pages that do not rebuild the recorded hash are an error wrapping
// ErrSnapshotCorrupt; ok is false if vat has no snapshot.
func (s *Store) LoadSnapshot(vat string) (info SnapshotInfo, data []byte, ok bool, err error) {
	info, list, ok := s.snapshotRow(vat, true)
	if !ok {
		return info, nil, false, nil
	}
	c, pending := s.pendingSnapshot(vat)
	var got []pageHash
	switch {
	case pending && c.data != nil:
		return info, c.data, true, nil
	case pending:
		data, got, err = s.assemble(info.Size, len(c.pages), func(i int, dst []byte) (pageHash, error) {
			if packed, ok := s.block.pages[c.pages[i]]; ok {
				if err := s.codec.decompressInto(dst, packed); err != nil {
					return pageHash{}, err
				}
				return sha256.Sum256(dst), nil
			}
			id, ok, err := s.pageID(c.pages[i])
			if err != nil {
				return pageHash{}, s.fail(s.wrap("load snapshot of "+vat, err))
			}
			if !ok {
				return pageHash{}, errors.New("not stored")
			}
			return s.readPage(dst, id)
		})
	case s.snapTables == legacyTables:
		data, err = s.loadLegacy(info)
	case list == nil:
		err = errors.New("its page list is missing")
	default:
		n, _ := pageCount(info.Size)
		var ids []int64
		if ids, err = decodePageList(list, n); err == nil {
			data, got, err = s.assemble(info.Size, n, func(i int, dst []byte) (pageHash, error) { return s.readPage(dst, ids[i]) })
		}
	}
	if IsFailure(err) {
		return info, nil, true, err
	}
	if err == nil && got != nil {
		if h := snapshotHash(info.Size, got); h != info.Hash {
			err = fmt.Errorf("content hash %.16s…, recorded %.16s…", h, info.Hash)
		}
	}
	if err != nil {
		return info, nil, true, fmt.Errorf("%w: %s at position %d: %v", ErrSnapshotCorrupt, vat, info.Pos, err)
	}
	if got != nil {
		// The vat's next snapshot hashes only what it changed since.
		s.lastSaved.remember(vat, info.Hash, data, got, false)
	}
	return info, data, true, nil
}

// assemble rebuilds a snapshot of size bytes from its n pages: page(i, dst)
// fills dst with page i and returns its hash. It returns the page hashes.
func (s *Store) assemble(size int64, n int, page func(i int, dst []byte) (pageHash, error)) ([]byte, []pageHash, error) {
	if want, _ := pageCount(size); want != n || size < 0 {
		return nil, nil, fmt.Errorf("%d pages for %d bytes", n, size)
	}
	out := make([]byte, size)
	hashes := make([]pageHash, n)
	var err error
	forPages(out, func(i int, dst []byte) {
		if err != nil {
			return
		}
		hashes[i], err = page(i, dst)
		if err != nil && !IsFailure(err) {
			err = fmt.Errorf("page %d: %w", i, err)
		}
	})
	return out, hashes, err
}

// readPage fills dst with stored page id, from the page cache if it is
// there, and returns its hash; a page read from the database is checked
// against its hash.
func (s *Store) readPage(dst []byte, id int64) (pageHash, error) {
	if p, ok := s.pageCache.get(id); ok && len(p.page) == len(dst) {
		copy(dst, p.page)
		return p.hash, nil
	}
	st, err := s.stmt("SELECT p.hash, d.data FROM snapshotPages p JOIN snapshotPageData d ON d.id = p.id WHERE p.id = ?")
	if err != nil {
		return pageHash{}, s.fail(s.wrap("load snapshot page", err))
	}
	defer st.Reset()
	st.BindInt64(1, id)
	if !st.Step() {
		if err := st.Err(); err != nil {
			return pageHash{}, s.fail(s.wrap("load snapshot page", err))
		}
		return pageHash{}, fmt.Errorf("stored page %d is missing", id)
	}
	var want pageHash
	copy(want[:], st.ColumnRawBlob(0))
	if err := s.codec.decompressInto(dst, st.ColumnRawBlob(1)); err != nil {
		return pageHash{}, err
	}
	if sha256.Sum256(dst) != want {
		return pageHash{}, fmt.Errorf("stored page %d does not match its hash", id)
	}
	s.pageCache.put(id, want, dst)
	return want, nil
}

// SnapshotVats returns the vats that have a snapshot, sorted.
func (s *Store) SnapshotVats() []string {
	var out []string
	if s.hasSnapshotTables() {
		st := s.mustStmt("SELECT vatID FROM vatSnapshots ORDER BY vatID")
		for st.Step() {
			out = append(out, st.ColumnText(0))
		}
		err := st.Err()
		st.Reset()
		if err != nil {
			s.readErr("snapshot vats", err)
		}
	}
	for _, l := range []*layer{s.block, s.crank} {
		if l == nil {
			continue
		}
		for _, vat := range slices.Sorted(maps.Keys(l.snapshots)) {
			i, found := slices.BinarySearch(out, vat)
			switch c := l.snapshots[vat]; {
			case c.info == nil && found:
				out = slices.Delete(out, i, i+1)
			case c.info != nil && !found:
				out = slices.Insert(out, i, vat)
			}
		}
	}
	return out
}

// TranscriptFirst returns the position of the first item vat's transcript
// still holds (its length if it holds none).
func (s *Store) TranscriptFirst(vat string) uint64 {
	first := s.TranscriptLength(vat)
	_ = s.ReadTranscript(vat, 0, func(e TranscriptEntry) error {
		first = e.Pos
		return errStop
	})
	return first
}

var errStop = errors.New("stop")

// Values of Store.snapTables.
const (
	noTables     = -1 // a store made before snapshots, opened read-only
	pageTables   = 1
	legacyTables = 2 // whole-blob snapshots: a store made before pages, opened read-only
)

// hasSnapshotTables reports whether the database has snapshot tables, and
// sets s.snapTables to which.
func (s *Store) hasSnapshotTables() bool {
	if s.snapTables == 0 {
		s.snapTables = noTables
		switch {
		case s.hasTable("snapshotLists"):
			s.snapTables = pageTables
		case s.hasTable("vatSnapshots") && s.hasTable("snapshots"):
			s.snapTables = legacyTables
		}
	}
	return s.snapTables > 0
}

func (s *Store) hasTable(name string) bool {
	st := s.mustStmt("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?")
	defer st.Reset()
	st.BindText(1, name)
	if st.Step() {
		return true
	}
	if err := st.Err(); err != nil {
		s.readErr("snapshot tables", err)
	}
	return false
}

// writeSnapshots puts a block's snapshot changes into SQLite: new pages
// first, then each vat's new list (counting its pages), then the lists no
// vat uses any more are deleted with the pages no list holds.
func (s *Store) writeSnapshots(b *layer) error {
	if len(b.snapshots) == 0 && len(b.pages) == 0 {
		return nil
	}
	vats := slices.Sorted(maps.Keys(b.snapshots))
	for _, vat := range vats {
		if c := b.snapshots[vat]; c.info != nil && c.data != nil {
			info := *c.info
			added, err := s.packPages(c.data, c.pages, b.pages)
			if err != nil {
				return fmt.Errorf("snapshot of %s: %w", vat, err)
			}
			info.Stored = added
			c.info, c.data = &info, nil
			b.snapshots[vat] = c
		}
	}
	fresh, err := s.insertPages(b.pages)
	if err != nil {
		return err
	}
	var old []string     // lists that may have lost their last vat
	var unheld [][]int64 // pages replaced lists held and their successors do not
	// A list this block gives some vat is never replaced away: another vat
	// may take it after the one leaving it.
	taking := map[string]bool{}
	for _, c := range b.snapshots {
		if c.info != nil {
			taking[c.info.Hash] = true
		}
	}
	for _, vat := range vats {
		c := b.snapshots[vat]
		prev, had, err := s.vatSnapshotHash(vat)
		if err != nil {
			return fmt.Errorf("snapshot of %s: %w", vat, err)
		}
		replaced := false
		if c.info == nil {
			err = s.exec("DELETE FROM vatSnapshots WHERE vatID = ?", vat)
		} else {
			i := c.info
			if had && prev != i.Hash && !taking[prev] {
				var dropped []int64
				replaced, dropped, err = s.replaceList(vat, prev, c)
				if len(dropped) > 0 {
					unheld = append(unheld, dropped)
				}
			}
			if err == nil && !replaced {
				err = s.addList(i.Hash, i.Size, i.Stored, c.pages)
			}
			if err == nil {
				err = s.exec("INSERT OR REPLACE INTO vatSnapshots (vatID, position, hash, build) VALUES (?, ?, ?, ?)", vat, i.Pos, i.Hash, i.Build)
			}
		}
		if err != nil {
			return fmt.Errorf("snapshot of %s: %w", vat, err)
		}
		if had && !replaced && (c.info == nil || c.info.Hash != prev) {
			old = append(old, prev)
		}
	}
	// Only after every new list counts its pages: a page one vat's new
	// list dropped may be in another's.
	for _, ids := range unheld {
		if err := s.unrefPages(ids); err != nil {
			return fmt.Errorf("delete snapshot pages: %w", err)
		}
	}
	slices.Sort(old)
	for _, hash := range slices.Compact(old) {
		if err := s.dropListIfUnused(hash); err != nil {
			return fmt.Errorf("delete snapshot %.16s: %w", hash, err)
		}
	}
	// Pages stored for a snapshot that a later one of the block replaced.
	for _, id := range fresh {
		if err := s.exec("DELETE FROM snapshotPages WHERE id = ? AND refs = 0", id); err != nil {
			return fmt.Errorf("delete unused snapshot pages: %w", err)
		}
		if err := s.exec("DELETE FROM snapshotPageData WHERE id = ? AND NOT EXISTS (SELECT 1 FROM snapshotPages WHERE id = ?)", id, id); err != nil {
			return fmt.Errorf("delete unused snapshot pages: %w", err)
		}
	}
	return nil
}

// vatSnapshotHash returns the hash of vat's committed snapshot.
func (s *Store) vatSnapshotHash(vat string) (string, bool, error) {
	st, err := s.stmt("SELECT hash FROM vatSnapshots WHERE vatID = ?")
	if err != nil {
		return "", false, err
	}
	defer st.Reset()
	st.BindText(1, vat)
	if st.Step() {
		return st.ColumnText(0), true, nil
	}
	return "", false, st.Err()
}

// insertPages stores the pages of pending, in hash order, with no list
// holding them yet, and returns their IDs.
func (s *Store) insertPages(pending map[pageHash][]byte) ([]int64, error) {
	var ids []int64
	for _, h := range slices.SortedFunc(maps.Keys(pending), func(a, b pageHash) int { return compareHash(a, b) }) {
		if _, ok, err := s.pageID(h); ok || err != nil {
			if err != nil {
				return nil, err
			}
			continue
		}
		err := s.exec("INSERT INTO snapshotPages (hash, refs) VALUES (?, 0)", h[:])
		id := s.db.LastInsertRowID()
		if err == nil {
			err = s.exec("INSERT INTO snapshotPageData (id, data) VALUES (?, ?)", id, pending[h])
		}
		if err != nil {
			return nil, fmt.Errorf("store snapshot page: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func compareHash(a, b pageHash) int {
	for i := range a {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return 0
}

// addList stores the page list of snapshot hash, unless it is stored, and
// counts it in each of its distinct pages, which must be stored.
func (s *Store) addList(hash string, size, stored int64, pages []pageHash) error {
	st, err := s.stmt("SELECT 1 FROM snapshotLists WHERE hash = ?")
	if err != nil {
		return err
	}
	st.BindText(1, hash)
	exists := st.Step()
	err = st.Err()
	st.Reset()
	if err != nil || exists {
		return err
	}
	// One statement counts the list in each of its distinct pages.
	distinct := slices.SortedFunc(slices.Values(pages), compareHash)
	distinct = slices.Compact(distinct)
	st, err = s.stmt("UPDATE snapshotPages SET refs = refs + 1 WHERE hash IN (SELECT unhex(value) FROM json_each(?)) RETURNING hash, id")
	if err != nil {
		return err
	}
	st.BindText(1, hexList(distinct))
	idOf := make(map[pageHash]int64, len(distinct))
	for st.Step() {
		var h pageHash
		copy(h[:], st.ColumnRawBlob(0))
		idOf[h] = st.ColumnInt64(1)
	}
	err = st.Err()
	st.Reset()
	if err != nil {
		return err
	}
	ids := make([]int64, len(pages))
	for i, h := range pages {
		id, ok := idOf[h]
		if !ok {
			return fmt.Errorf("page %d of %.16s is not stored", i, hash)
		}
		ids[i] = id
	}
	list := encodePageList(ids)
	return s.exec("INSERT INTO snapshotLists (hash, size, stored, pages) VALUES (?, ?, ?, ?)", hash, size, stored+int64(len(list)), list)
}

// replaceList stores the page list of snapshot i in place of prev, vat's
// previous list, when i's list is not stored yet and no other vat uses
// prev: then only the pages one list holds and the other does not change
// their counts (a vat's next snapshot shares most pages with its last),
// where adding i's list and dropping prev would count every page up and
// down again. It counts i's new pages and returns the pages only prev held,
// which the caller uncounts once every list of the block is stored. It
// reports false, having changed nothing, otherwise.
func (s *Store) replaceList(vat, prev string, c snapshotChange) (bool, []int64, error) {
	i, pages := c.info, c.pages
	st, err := s.stmt("SELECT (SELECT 1 FROM snapshotLists WHERE hash = ?), (SELECT 1 FROM vatSnapshots WHERE hash = ? AND vatID != ? LIMIT 1), (SELECT size FROM snapshotLists WHERE hash = ?), (SELECT pages FROM snapshotLists WHERE hash = ?)")
	if err != nil {
		return false, nil, err
	}
	st.BindText(1, i.Hash)
	st.BindText(2, prev)
	st.BindText(3, vat)
	st.BindText(4, prev)
	st.BindText(5, prev)
	if !st.Step() {
		err := st.Err()
		st.Reset()
		return false, nil, err
	}
	stored, shared, found := st.ColumnType(0) != sqlite3.NULL, st.ColumnType(1) != sqlite3.NULL, st.ColumnType(3) != sqlite3.NULL
	n, _ := pageCount(st.ColumnInt64(2))
	prevIDs, derr := decodePageList(st.ColumnRawBlob(3), n)
	st.Reset()
	if stored || shared || !found || derr != nil {
		return false, nil, nil // a damaged prev list is left to the general path
	}
	idOf := make(map[pageHash]int64, len(pages))
	if c.base == prev && len(c.basePages) == len(prevIDs) {
		// The pages were hashed against prev itself: its list names the
		// IDs of the pages the two share, position by position.
		for k, h := range c.basePages {
			idOf[h] = prevIDs[k]
		}
	}
	var unknown []pageHash
	for _, h := range pages {
		if _, ok := idOf[h]; !ok {
			unknown = append(unknown, h)
		}
	}
	if len(unknown) > 0 {
		unknown = slices.Compact(slices.SortedFunc(slices.Values(unknown), compareHash))
		st, err = s.stmt("SELECT hash, id FROM snapshotPages WHERE hash IN (SELECT unhex(value) FROM json_each(?))")
		if err != nil {
			return false, nil, err
		}
		st.BindText(1, hexList(unknown))
		for st.Step() {
			var h pageHash
			copy(h[:], st.ColumnRawBlob(0))
			idOf[h] = st.ColumnInt64(1)
		}
		err = st.Err()
		st.Reset()
		if err != nil {
			return false, nil, err
		}
	}
	ids := make([]int64, len(pages))
	for k, h := range pages {
		id, ok := idOf[h]
		if !ok {
			return false, nil, fmt.Errorf("page %d of %.16s is not stored", k, i.Hash)
		}
		ids[k] = id
	}
	now := slices.Compact(slices.Sorted(slices.Values(ids)))
	before := slices.Compact(slices.Sorted(slices.Values(prevIDs)))
	var added, dropped []int64
	for a, b := 0, 0; a < len(now) || b < len(before); {
		switch {
		case b == len(before) || (a < len(now) && now[a] < before[b]):
			added = append(added, now[a])
			a++
		case a == len(now) || before[b] < now[a]:
			dropped = append(dropped, before[b])
			b++
		default:
			a, b = a+1, b+1
		}
	}
	if len(added) > 0 {
		if err := s.exec("UPDATE snapshotPages SET refs = refs + 1 WHERE id IN (SELECT value FROM json_each(?))", idList(added)); err != nil {
			return false, nil, err
		}
	}
	list := encodePageList(ids)
	if err := s.exec("INSERT INTO snapshotLists (hash, size, stored, pages) VALUES (?, ?, ?, ?)", i.Hash, i.Size, i.Stored+int64(len(list)), list); err != nil {
		return false, nil, err
	}
	if err := s.exec("DELETE FROM snapshotLists WHERE hash = ?", prev); err != nil {
		return false, nil, err
	}
	return true, dropped, nil
}

// dropListIfUnused deletes the list of snapshot hash if no vat uses it,
// and the pages no other list holds.
func (s *Store) dropListIfUnused(hash string) error {
	st, err := s.stmt("SELECT 1 FROM vatSnapshots WHERE hash = ? LIMIT 1")
	if err != nil {
		return err
	}
	st.BindText(1, hash)
	used := st.Step()
	err = st.Err()
	st.Reset()
	if err != nil || used {
		return err
	}
	st, err = s.stmt("DELETE FROM snapshotLists WHERE hash = ? RETURNING size, pages")
	if err != nil {
		return err
	}
	st.BindText(1, hash)
	var list []byte
	var size int64
	found := st.Step()
	if found {
		size, list = st.ColumnInt64(0), st.ColumnBlob(1, nil)
	}
	for st.Step() {
	}
	err = st.Err()
	st.Reset()
	if err != nil || !found {
		return err
	}
	n, _ := pageCount(size)
	ids, err := decodePageList(list, n)
	if err != nil {
		// A damaged list: its pages stay, counted, rather than risk
		// deleting pages other lists hold.
		return nil
	}
	slices.Sort(ids)
	return s.unrefPages(slices.Compact(ids))
}

// unrefPages counts one list less holding each of the distinct pages ids,
// and deletes those no list holds any more.
func (s *Store) unrefPages(ids []int64) error {
	st, err := s.stmt("UPDATE snapshotPages SET refs = refs - 1 WHERE id IN (SELECT value FROM json_each(?)) RETURNING id, refs")
	if err != nil {
		return err
	}
	st.BindText(1, idList(ids))
	var unused []int64
	for st.Step() {
		if st.ColumnInt64(1) <= 0 {
			unused = append(unused, st.ColumnInt64(0))
		}
	}
	err = st.Err()
	st.Reset()
	if err != nil || len(unused) == 0 {
		return err
	}
	slices.Sort(unused)
	for _, id := range unused {
		s.pageCache.drop(id)
	}
	list := idList(unused)
	if err := s.exec("DELETE FROM snapshotPages WHERE id IN (SELECT value FROM json_each(?))", list); err != nil {
		return err
	}
	return s.exec("DELETE FROM snapshotPageData WHERE id IN (SELECT value FROM json_each(?))", list)
}

// hexList returns hashes as a JSON array of hex strings.
func hexList(hashes []pageHash) string {
	b := make([]byte, 0, len(hashes)*(2*len(pageHash{})+3)+2)
	b = append(b, '[')
	for i, h := range hashes {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = hex.AppendEncode(b, h[:])
		b = append(b, '"')
	}
	return string(append(b, ']'))
}

// idList returns ids as a JSON array.
func idList(ids []int64) string {
	b := make([]byte, 0, len(ids)*8+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// loadLegacy reads a whole-blob snapshot of a store made before pages.
func (s *Store) loadLegacy(info SnapshotInfo) ([]byte, error) {
	st, err := s.stmt("SELECT data FROM snapshots WHERE hash = ?")
	if err != nil {
		return nil, s.fail(s.wrap("load snapshot of "+info.Vat, err))
	}
	defer st.Reset()
	st.BindText(1, info.Hash)
	if !st.Step() {
		if err := st.Err(); err != nil {
			return nil, s.fail(s.wrap("load snapshot of "+info.Vat, err))
		}
		return nil, errors.New("its blob is missing")
	}
	data, err := s.codec.inflate(st.ColumnRawBlob(0), info.Size)
	if err == nil {
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != info.Hash {
			err = fmt.Errorf("content hash %x, recorded %.16s…", sum[:8], info.Hash)
		}
	}
	return data, err
}

// migrateSnapshots converts the whole-blob snapshots of a store made before
// pages into page lists, in one transaction, and drops their table (a
// snapshot's hash changes: it was the SHA-256 of the whole blob). A blob
// that does not decompress to its hash is left out: its vat's snapshot is
// then corrupt (and its transcript replayed in full, if kept).
func (s *Store) migrateSnapshots() (converted bool, err error) {
	if !s.hasTable("snapshots") {
		return false, nil
	}
	if err := s.endRead(); err != nil {
		return false, err
	}
	if err := s.db.Exec("BEGIN IMMEDIATE"); err != nil {
		return false, err
	}
	err = s.convertBlobs()
	if err == nil {
		err = s.db.Exec("DROP TABLE snapshots")
	}
	if err == nil {
		err = s.db.Exec("COMMIT")
	}
	if err != nil {
		s.db.Exec("ROLLBACK")
		return false, err
	}
	s.snapTables = 0
	return true, nil
}

func (s *Store) convertBlobs() error {
	st, err := s.stmt("SELECT hash, size FROM snapshots ORDER BY hash")
	if err != nil {
		return err
	}
	type blob struct {
		hash string
		size int64
	}
	var blobs []blob
	for st.Step() {
		blobs = append(blobs, blob{st.ColumnText(0), st.ColumnInt64(1)})
	}
	err = st.Err()
	st.Reset()
	if err != nil {
		return err
	}
	s.snapTables = pageTables
	for _, b := range blobs {
		data, err := s.loadLegacy(SnapshotInfo{Hash: b.hash, Size: b.size})
		if IsFailure(err) {
			return err
		}
		if err != nil {
			continue
		}
		pending := map[pageHash][]byte{}
		pages := hashPages(data)
		added, err := s.packPages(data, pages, pending)
		if err != nil {
			return err
		}
		if _, err := s.insertPages(pending); err != nil {
			return err
		}
		hash := snapshotHash(b.size, pages)
		if err := s.addList(hash, b.size, added, pages); err != nil {
			return err
		}
		if err := s.exec("UPDATE vatSnapshots SET hash = ? WHERE hash = ?", hash, b.hash); err != nil {
			return err
		}
	}
	return nil
}

// releaseBuffer keeps data, a saved snapshot lastSaved let go of, as the
// spare for SnapshotBuffer (one at most: a vat's next snapshot frees its
// last), unless a pending change or another vat's kept snapshot still
// holds it (a caller may have saved the same bytes for two vats).
func (s *Store) releaseBuffer(data []byte) {
	if cap(data) == 0 || s.spareBuffer != nil {
		return
	}
	p := unsafe.SliceData(data)
	for _, k := range s.lastSaved.saved {
		if cap(k.data) > 0 && unsafe.SliceData(k.data) == p {
			return
		}
	}
	for _, l := range []*layer{s.block, s.crank} {
		if l == nil {
			continue
		}
		for _, c := range l.snapshots {
			if cap(c.data) > 0 && unsafe.SliceData(c.data) == p {
				return
			}
		}
	}
	s.spareBuffer = data[:0]
}

// SnapshotBuffer returns an empty buffer, with room, that the store owned
// and no longer uses, for the next snapshot (vat.SnapshotAppender), or nil.
// A snapshot made in it is given to SaveSnapshot like any other.
func (s *Store) SnapshotBuffer() []byte {
	b := s.spareBuffer
	s.spareBuffer = nil
	return b
}
