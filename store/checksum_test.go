package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fillStore writes kv entries, transcript items and bundles large enough to
// span many pages, commits and closes.
func fillStore(t *testing.T, path string, opts Options) {
	t.Helper()
	s, err := Create(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	s.BeginCrank()
	for i := range 300 {
		s.Set(fmt.Sprintf("v%d.c.ko%d", i%7, i), fmt.Sprintf("R o+%d", i))
	}
	s.Set("victim", "ko14-the-victim-value")
	for i := range 40 {
		s.AppendTranscript("v1", 0, []byte(fmt.Sprintf(`{"d":["message","o+0",%q],"s":[]}`, strings.Repeat("t", i*20))))
	}
	s.PutBundle("b1-big", bytes.Repeat([]byte("bundle source "), 2000))
	if _, _, err := s.EndCrank(); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// flipByte XORs one byte of a file with mask.
func flipByte(t *testing.T, path string, off int64, mask byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[off] ^= mask
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func headerByte(t *testing.T, path string, off int) byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data[off]
}

// readAll reads everything a store holds, turning a store failure into an error.
func readAll(s *Store) (err error) {
	defer Recover(&err)
	for _, k := range s.KeysWithPrefix("") {
		s.Get(k)
	}
	for _, v := range s.TranscriptVats() {
		if err := s.ReadTranscript(v, 0, func(TranscriptEntry) error { return nil }); err != nil {
			return err
		}
	}
	for _, id := range s.BundleIDs() {
		if _, err := s.GetBundle(id); err != nil {
			return err
		}
	}
	return nil
}

func TestNewStoreHasChecksums(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kernel.sqlite")
	fillStore(t, path, Options{})
	if r := headerByte(t, path, 20); r != checksumBytes {
		t.Fatalf("reserved bytes per page = %d, want %d", r, checksumBytes)
	}
	if d, err := findDamage(path); d != nil || err != nil {
		t.Fatalf("fresh store damaged: %+v %v", d, err)
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := readAll(s); err != nil {
		t.Fatal(err)
	}
}

func TestFlippedByteNamesItsPage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kernel.sqlite")
	fillStore(t, path, Options{})
	data, _ := os.ReadFile(path)
	off := bytes.Index(data, []byte("ko14-the-victim"))
	if off < 0 {
		t.Fatal("victim value not in the file")
	}
	pageSize := 4096
	wantPage := int64(off/pageSize + 1)
	flipByte(t, path, int64(off+2), '1'^'9') // ko14 → ko94

	_, err := Open(path, Options{})
	var se *Error
	if !errors.Is(err, ErrCorrupt) || !errors.As(err, &se) || se.Page != wantPage {
		t.Fatalf("Open of a damaged file = %v, want ErrCorrupt at page %d", err, wantPage)
	}
	want := fmt.Sprintf("store: open: corrupt page %d of %s (checksum mismatch)", wantPage, path)
	if err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}

	// Read-only (dump, replay): no scan at open, but the page is never served.
	s, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = func() (err error) {
		defer Recover(&err)
		v, _ := s.Get("victim")
		return fmt.Errorf("served %q", v)
	}()
	if !errors.Is(err, ErrCorrupt) || !errors.As(err, &se) || se.Page != wantPage || !strings.Contains(err.Error(), "get victim") {
		t.Fatalf("Get from a damaged page = %v", err)
	}
	if s.Err() == nil {
		t.Fatal("the store goes on after a damaged read")
	}
}

// TestFlipTable flips one byte at a time at many positions spread over
// every page (the first and last bytes of each, the checksum, the header's
// reserved-bytes field, and a stride through the rest): every flip is
// reported by Open as corruption naming the page it hit, and a read-only
// store never serves a damaged page nor panics out of Recover.
func TestFlipTable(t *testing.T) {
	clean := filepath.Join(t.TempDir(), "clean.sqlite")
	fillStore(t, clean, Options{})
	data, err := os.ReadFile(clean)
	if err != nil {
		t.Fatal(err)
	}
	const pageSize = 4096
	var offs []int64
	for p := int64(0); p < int64(len(data)); p += pageSize {
		offs = append(offs, p, p+1, p+pageSize/2, p+pageSize-9, p+pageSize-1)
	}
	offs = append(offs, 16, 18, 20, 21, 24, 28, 56, 96)
	for off := int64(7); off < int64(len(data)); off += 997 {
		offs = append(offs, off)
	}
	dir := t.TempDir()
	caught, served := 0, 0
	for i, off := range offs {
		for _, mask := range []byte{0x01, 0xff} {
			path := filepath.Join(dir, fmt.Sprintf("f%d-%d.sqlite", i, mask))
			flipped := bytes.Clone(data)
			flipped[off] ^= mask
			if err := os.WriteFile(path, flipped, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Open(path, Options{})
			var se *Error
			if !errors.Is(err, ErrCorrupt) || !errors.As(err, &se) || se.Page != off/pageSize+1 {
				t.Fatalf("flip %#x at %d (page %d): Open = %v", mask, off, off/pageSize+1, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error on two lines: %q", err)
			}
			s, err := Open(path, Options{ReadOnly: true})
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("flip %#x at %d: read-only Open = %v", mask, off, err)
				}
				continue
			}
			switch err := readAll(s); {
			case errors.Is(err, ErrCorrupt):
				caught++
			case err != nil:
				t.Fatalf("flip %#x at %d: read = %v", mask, off, err)
			default:
				// Only a page nothing reads (free space, a free page) may
				// be damaged without notice, and then every value is right.
				if v, _ := s.Get("victim"); v != "ko14-the-victim-value" {
					t.Fatalf("flip %#x at %d: served %q", mask, off, v)
				}
				served++
			}
			s.Close()
		}
	}
	t.Logf("%d pages, %d flips: read-only reads caught %d, %d hit nothing read", len(data)/pageSize, 2*len(offs), caught, served)
	if caught < served {
		t.Fatalf("read-only reads caught only %d of %d flips", caught, caught+served)
	}
}

func TestOldStoreGetsChecksums(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kernel.sqlite")
	fillStore(t, path, Options{noChecksums: true})
	if r := headerByte(t, path, 20); r != 0 {
		t.Fatalf("old format reserves %d bytes", r)
	}
	// Read-only opens read it as it is.
	var notes []string
	note := func(m string) { notes = append(notes, m) }
	s, err := Open(path, Options{ReadOnly: true, Note: note})
	if err != nil {
		t.Fatal(err)
	}
	if err := readAll(s); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if r := headerByte(t, path, 20); r != 0 || len(notes) != 0 {
		t.Fatalf("read-only open converted the file (%d, %q)", r, notes)
	}
	// A writer converts it once, and says so.
	for range 2 {
		s, err := Open(path, Options{Note: note})
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := s.Get("victim"); v != "ko14-the-victim-value" {
			t.Fatalf("victim = %q after the conversion", v)
		}
		if n := s.TranscriptLength("v1"); n != 40 {
			t.Fatalf("transcript length %d after the conversion", n)
		}
		if err := readAll(s); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "added page checksums") {
		t.Fatalf("notes %q, want one about the conversion", notes)
	}
	if r := headerByte(t, path, 20); r != checksumBytes {
		t.Fatalf("converted file reserves %d bytes", r)
	}
	data, _ := os.ReadFile(path)
	flipByte(t, path, int64(bytes.Index(data, []byte("ko14-the-victim"))), 0x20)
	if _, err := Open(path, Options{}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("flip in a converted file: %v", err)
	}
}

func TestRemoveAndMoveTo(t *testing.T) {
	dir := t.TempDir()
	tmp := filepath.Join(dir, "kernel.sqlite.new")
	s, err := Create(tmp, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.BeginCrank()
	s.Set("a", "1")
	if err := s.MoveTo(filepath.Join(dir, "x")); err == nil {
		t.Fatal("MoveTo with an open crank")
	}
	s.EndCrank()
	if err := s.MoveTo(filepath.Join(dir, "x")); err == nil {
		t.Fatal("MoveTo with an uncommitted block")
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	final := filepath.Join(dir, "kernel.sqlite")
	if err := s.MoveTo(final); err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(names) != 3 || !Exists(final) || Exists(tmp) { // the file, its -wal and -shm
		t.Fatalf("after MoveTo: %v", names)
	}
	s.BeginCrank()
	s.Set("b", "2")
	s.EndCrank()
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Get("a"); v != "1" || s.Path() != final {
		t.Fatalf("a = %q at %s", v, s.Path())
	}
	s.Close()
	s, err = Open(final, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Get("b"); v != "2" {
		t.Fatalf("b = %q after reopening", v)
	}
	s.Close()
	os.WriteFile(final+"-journal", nil, 0o644)
	if err := Remove(final); err != nil {
		t.Fatal(err)
	}
	if names, _ := filepath.Glob(filepath.Join(dir, "*")); len(names) != 0 {
		t.Fatalf("after Remove: %v", names)
	}
	if err := Remove(final); err != nil {
		t.Fatalf("Remove of nothing: %v", err)
	}
}
