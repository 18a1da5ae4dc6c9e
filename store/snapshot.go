package store

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
)

// ErrSnapshotCorrupt is returned by [Store.LoadSnapshot] for a snapshot whose
// stored bytes do not decompress to what was saved (their SHA-256 differs).
var ErrSnapshotCorrupt = errors.New("store: corrupt snapshot")

// snapshotSQL makes the snapshot tables: the blobs, content-addressed by the
// SHA-256 of their uncompressed bytes and stored deflated, and each vat's
// current snapshot. Old stores get them when opened for writing.
const snapshotSQL = `
CREATE TABLE IF NOT EXISTS snapshots (hash TEXT PRIMARY KEY, size INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS vatSnapshots (
	vatID TEXT PRIMARY KEY,
	position INTEGER NOT NULL,
	hash TEXT NOT NULL,
	build TEXT NOT NULL
) WITHOUT ROWID;
`

// SnapshotInfo describes a vat's heap snapshot.
type SnapshotInfo struct {
	Vat string
	// Pos is the transcript position the snapshot resumes at: the
	// deliveries before it are in the snapshot, replay starts there.
	Pos uint64
	// Hash is the hex SHA-256 of the uncompressed snapshot.
	Hash string
	// Build names the worker code that made it; only the same build loads it.
	Build string
	// Size is the uncompressed size, Stored the compressed size, in bytes.
	Size, Stored int64
}

// snapshotChange is a pending snapshot of a vat; nil info means deleted.
// A snapshot saved in a crank stays uncompressed (data) until Commit, as a
// later crank of the block may replace it; one saved between cranks (a
// vat paged out or closed) is compressed at once (packed), so a block of
// many such snapshots holds them compressed.
type snapshotChange struct {
	info   *SnapshotInfo
	data   []byte // uncompressed, or nil
	packed []byte // compressed, or nil
}

// SaveSnapshot stores data as vat's current snapshot, replacing the
// previous one, in the open crank, or in the block when no crank is open
// (a snapshot taken between blocks changes no hashed state). The data are
// addressed by their SHA-256 and compressed when the block is committed
// (only a vat's last snapshot of a block is compressed and written); the
// store keeps data, which the caller must not change.
func (s *Store) SaveSnapshot(vat string, pos uint64, build string, data []byte) SnapshotInfo {
	sum := sha256.Sum256(data)
	info := SnapshotInfo{Vat: vat, Pos: pos, Hash: hex.EncodeToString(sum[:]), Build: build, Size: int64(len(data))}
	if s.crank != nil {
		s.crank.snapshots[vat] = snapshotChange{info: &info, data: data}
		return info
	}
	packed := deflate(data)
	info.Stored = int64(len(packed))
	s.block.snapshots[vat] = snapshotChange{info: &info, packed: packed}
	return info
}

// stored returns the compressed bytes of a pending snapshot.
func (c snapshotChange) stored() []byte {
	if c.packed != nil {
		return c.packed
	}
	return deflate(c.data)
}

// deflate compresses a snapshot for storage.
func deflate(data []byte) []byte {
	var buf bytes.Buffer
	zw, _ := flate.NewWriter(&buf, flate.BestSpeed)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
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
	if c, ok := s.pendingSnapshot(vat); ok {
		if c.info == nil {
			return SnapshotInfo{}, false
		}
		return *c.info, true
	}
	if !s.hasSnapshotTables() {
		return SnapshotInfo{}, false
	}
	st := s.mustStmt("SELECT v.position, v.hash, v.build, s.size, length(s.data) FROM vatSnapshots v JOIN snapshots s ON s.hash = v.hash WHERE v.vatID = ?")
	defer st.Reset()
	st.BindText(1, vat)
	if st.Step() {
		return SnapshotInfo{Vat: vat, Pos: uint64(st.ColumnInt64(0)), Hash: st.ColumnText(1), Build: st.ColumnText(2),
			Size: st.ColumnInt64(3), Stored: st.ColumnInt64(4)}, true
	}
	if err := st.Err(); err != nil {
		s.readErr("snapshot of "+vat, err)
	}
	return SnapshotInfo{}, false
}

// LoadSnapshot returns vat's current snapshot and its uncompressed bytes.
// Bytes that do not decompress to the recorded hash are an error wrapping
// ErrSnapshotCorrupt; ok is false if vat has no snapshot.
func (s *Store) LoadSnapshot(vat string) (info SnapshotInfo, data []byte, ok bool, err error) {
	info, ok = s.Snapshot(vat)
	if !ok {
		return info, nil, false, nil
	}
	var stored []byte
	if c, pending := s.pendingSnapshot(vat); pending && c.data != nil {
		return info, c.data, true, nil
	} else if pending {
		stored = c.packed
	} else {
		st, err := s.stmt("SELECT data FROM snapshots WHERE hash = ?")
		if err != nil {
			return info, nil, true, s.fail(s.wrap("load snapshot of "+vat, err))
		}
		st.BindText(1, info.Hash)
		if st.Step() {
			stored = st.ColumnBlob(0, nil)
		}
		err = st.Err()
		st.Reset()
		if err != nil {
			return info, nil, true, s.fail(s.wrap("load snapshot of "+vat, err))
		}
	}
	data, err = inflate(stored, info.Size)
	if err == nil {
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != info.Hash {
			err = fmt.Errorf("content hash %x, recorded %.16s…", sum[:8], info.Hash)
		}
	}
	if err != nil {
		return info, nil, true, fmt.Errorf("%w: %s at position %d: %v", ErrSnapshotCorrupt, vat, info.Pos, err)
	}
	return info, data, true, nil
}

// inflate decompresses b, which must hold exactly size bytes.
func inflate(b []byte, size int64) ([]byte, error) {
	if size < 0 {
		return nil, fmt.Errorf("negative size %d", size)
	}
	zr := flate.NewReader(bytes.NewReader(b))
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, size+1))
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	if int64(len(out)) != size {
		return nil, fmt.Errorf("decompressed to %d bytes, recorded %d", len(out), size)
	}
	return out, nil
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

// hasSnapshotTables reports whether the database has the snapshot tables (a
// store made before them and opened read-only has none).
func (s *Store) hasSnapshotTables() bool {
	if s.snapTables == 0 {
		st := s.mustStmt("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'vatSnapshots'")
		s.snapTables = -1
		if st.Step() {
			s.snapTables = 1
		}
		err := st.Err()
		st.Reset()
		if err != nil {
			s.readErr("snapshot tables", err)
		}
	}
	return s.snapTables > 0
}

// writeSnapshots puts a block's snapshot changes into SQLite and deletes
// the blobs no vat uses any more.
func (s *Store) writeSnapshots(b *layer) error {
	if len(b.snapshots) == 0 {
		return nil
	}
	for _, vat := range slices.Sorted(maps.Keys(b.snapshots)) {
		c := b.snapshots[vat]
		if c.info == nil {
			if err := s.exec("DELETE FROM vatSnapshots WHERE vatID = ?", vat); err != nil {
				return fmt.Errorf("delete snapshot of %s: %w", vat, err)
			}
			continue
		}
		i := c.info
		err := s.exec("INSERT OR IGNORE INTO snapshots (hash, size, data) VALUES (?, ?, ?)", i.Hash, i.Size, c.stored())
		if err == nil {
			err = s.exec("INSERT OR REPLACE INTO vatSnapshots (vatID, position, hash, build) VALUES (?, ?, ?, ?)", vat, i.Pos, i.Hash, i.Build)
		}
		if err != nil {
			return fmt.Errorf("snapshot of %s: %w", vat, err)
		}
	}
	if err := s.exec("DELETE FROM snapshots WHERE hash NOT IN (SELECT hash FROM vatSnapshots)"); err != nil {
		return fmt.Errorf("delete unused snapshots: %w", err)
	}
	return nil
}
