package store

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ncruces/go-sqlite3"
)

// Page checksums. Every store keeps an 8-byte checksum at the end of each
// page of its database file (the format of SQLite's checksum VFS shim,
// https://sqlite.org/cksumvfs.html, which go-sqlite3 implements and turns
// on when a database reserves 8 bytes per page). SQLite computes it as it
// writes a page and checks it as it reads one, so a damaged page is
// reported as an I/O error instead of being served. On top of that, Open
// scans the whole file before a writer uses it, so damage in a page the
// kernel would not read for a while still stops it before it commits
// anything into the damaged file.
//
// Stores made before checksums existed reserve no bytes: Open converts
// them once (a VACUUM that rewrites every page with its checksum) and says
// so through Options.Note.

// checksumBytes is the space reserved at the end of every page.
const checksumBytes = 8

// pageChecksum computes the checksum of a page's contents (every byte but
// the reserved ones): two running 32-bit sums over little-endian words,
// each feeding the other.
func pageChecksum(data []byte) [checksumBytes]byte {
	var s1, s2 uint32
	for i := 0; i+8 <= len(data); i += 8 {
		s1 += binary.LittleEndian.Uint32(data[i:]) + s2
		s2 += binary.LittleEndian.Uint32(data[i+4:]) + s1
	}
	var out [checksumBytes]byte
	binary.LittleEndian.PutUint32(out[0:], s1)
	binary.LittleEndian.PutUint32(out[4:], s2)
	return out
}

// sqliteMagic starts every SQLite database file.
const sqliteMagic = "SQLite format 3\x00"

// damage is a damaged page found by scanning a database file.
type damage struct {
	page int64 // 1-based
	why  error
}

// findDamage scans the database file at path and returns its first page
// whose checksum does not match, or nil when every page matches. A file
// that is not an SQLite database at all, or one without checksums, has no
// damage it can see (but a header one or two bytes away from a database's,
// or a checksummed first page whose reserved-bytes field was hit, is
// damage of page 1).
func findDamage(path string) (*damage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var h [100]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, nil // too short to be a database: SQLite says what it is
	}
	switch d := magicDistance(h[:16]); {
	case d > 2:
		return nil, nil
	case d > 0:
		return &damage{1, errors.New("damaged header")}, nil
	}
	pageSize := int(binary.BigEndian.Uint16(h[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 || pageSize&(pageSize-1) != 0 {
		return &damage{1, fmt.Errorf("damaged header: page size %d", pageSize)}, nil
	}
	page := make([]byte, pageSize)
	copy(page, h[:])
	if _, err := io.ReadFull(r, page[len(h):]); err != nil {
		return nil, nil // shorter than one page: SQLite says what it is
	}
	if reserved := page[20]; reserved != checksumBytes {
		// Without checksums (a store made before them), unless the page
		// checksums as if its header said it has them.
		page[20] = checksumBytes
		if checksumOK(page) {
			return &damage{1, fmt.Errorf("damaged header: %d reserved bytes", reserved)}, nil
		}
		return nil, nil
	}
	for n := int64(1); ; n++ {
		if !checksumOK(page) {
			return &damage{n, errChecksum}, nil
		}
		if _, err := io.ReadFull(r, page); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return nil, nil
			}
			return nil, err
		}
	}
}

// checksumOK reports whether a page's last bytes are its checksum.
func checksumOK(page []byte) bool {
	n := len(page) - checksumBytes
	return pageChecksum(page[:n]) == [checksumBytes]byte(page[n:])
}

// magicDistance counts the bytes in which a header differs from SQLite's.
func magicDistance(b []byte) int {
	d := 0
	for i := range sqliteMagic {
		if b[i] != sqliteMagic[i] {
			d++
		}
	}
	return d
}

// verifyPages checks the checksum of every page of the database file.
func verifyPages(path string) error {
	d, err := findDamage(path)
	switch {
	case err != nil:
		return &Error{Op: "verify pages", Path: path, Err: err}
	case d != nil:
		return &Error{Op: "open", Path: path, Page: d.page, Corrupt: true, Err: d.why}
	}
	return nil
}

// reservedBytes returns how many bytes the database reserves per page.
func (s *Store) reservedBytes() (int, error) {
	r, err := s.db.FileControl("main", sqlite3.FCNTL_RESERVE_BYTES)
	if err != nil {
		return 0, err
	}
	n, _ := r.(int)
	return n, nil
}

// ensureChecksums turns page checksums on in a database that has none,
// rewriting every page once. It returns whether it converted the file.
func (s *Store) ensureChecksums() (bool, error) {
	n, err := s.reservedBytes()
	if err != nil {
		return false, err
	}
	switch n {
	case checksumBytes:
		return false, nil
	case 0:
	default:
		return false, fmt.Errorf("the database reserves %d bytes per page, not %d for checksums", n, checksumBytes)
	}
	if err := s.endRead(); err != nil {
		return false, err
	}
	if err := s.db.EnableChecksums("main"); err != nil {
		return false, err
	}
	return true, nil
}
