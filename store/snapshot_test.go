package store

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// TestSnapshots: a snapshot saved in a crank is visible at once, durable
// after Commit, gone if the crank aborts; a replaced blob is deleted, a
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
	if info.Stored = got.Stored; got.Stored >= info.Size/10 {
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
	if n := s.countSnapshotBlobs(t); n != 2 { // v2's (shared with v1 before) and v1's new one
		t.Fatalf("%d blobs stored, want 2", n)
	}
	if _, ok := s.Snapshot("v3"); ok {
		t.Fatal("deleted snapshot still there")
	}
}

func (s *Store) countSnapshotBlobs(t *testing.T) int {
	st := s.mustStmt("SELECT count(*) FROM snapshots")
	defer st.Reset()
	st.Step()
	return st.ColumnInt(0)
}

// TestCorruptSnapshot: stored bytes that do not match the recorded hash
// are an ErrSnapshotCorrupt naming the vat, never a panic.
func TestCorruptSnapshot(t *testing.T) {
	s, _ := newTestStore(t)
	data := bytes.Repeat([]byte("heap "), 1000)
	crank(t, s, func() { s.SaveSnapshot("v4", 2, "b", data) })
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	for name, blob := range map[string][]byte{
		"garbage":   []byte("not deflate at all"),
		"empty":     {},
		"other":     deflated(t, []byte("same size? no")),
		"same size": deflated(t, bytes.Repeat([]byte("heaq "), 1000)),
	} {
		t.Run(name, func(t *testing.T) {
			if err := s.exec("UPDATE snapshots SET data = ?", blob); err != nil {
				t.Fatal(err)
			}
			_, _, ok, err := s.LoadSnapshot("v4")
			if !ok || !errors.Is(err, ErrSnapshotCorrupt) || !bytes.Contains([]byte(err.Error()), []byte("v4 at position 2")) {
				t.Fatalf("ok=%v err=%v", ok, err)
			}
		})
	}
}

func deflated(t *testing.T, b []byte) []byte {
	t.Helper()
	return deflate(b)
}
