package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ncruces/go-sqlite3"
)

func newTestStore(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kernel.sqlite")
	s, err := Create(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func crank(t *testing.T, s *Store, body func()) (string, string) {
	t.Helper()
	s.BeginCrank()
	body()
	ch, ah, err := s.EndCrank()
	if err != nil {
		t.Fatal(err)
	}
	return ch, ah
}

// TestCrankHashGolden checks SwingSet's encoding: a crank that only sets
// one=1 hashes "add\none\n1\n". (SwingSet's own test expects 136550ff…
// because its kernel also writes kernelStats in that crank.)
func TestCrankHashGolden(t *testing.T) {
	s, _ := newTestStore(t)
	ch, ah := crank(t, s, func() { s.Set("one", "1") })
	if want := "29dedad4ccd119b6f7d80109590cc357c69eb4f03210cdbc9b1c982cd228fd8b"; ch != want {
		t.Fatalf("crank hash %s, want %s", ch, want)
	}
	if want := NextActivityHash("", ch); ah != want || s.ActivityHash() != want {
		t.Fatalf("activity hash %s / %s, want %s", ah, s.ActivityHash(), want)
	}
	// local.* keys and aborted cranks do not reach the hash.
	s.BeginCrank()
	s.Set("two", "2")
	s.AbortCrank()
	ch2, _ := crank(t, s, func() { s.Set("local.x", "y"); s.Set("one", "1") })
	if ch2 != ch {
		t.Fatalf("local key or aborted crank changed the hash: %s", ch2)
	}
	ch3, _ := crank(t, s, func() { s.Delete("one") })
	if ch3 == ch {
		t.Fatal("delete did not change the hash")
	}
}

func TestHostKeysRefused(t *testing.T) {
	s, _ := newTestStore(t)
	s.BeginCrank()
	defer s.AbortCrank()
	defer func() {
		if recover() == nil {
			t.Fatal("Set(host.x) did not panic")
		}
	}()
	s.Set("host.x", "1")
}

func TestWriteOutsideCrankPanics(t *testing.T) {
	s, _ := newTestStore(t)
	defer func() {
		if recover() == nil {
			t.Fatal("Set outside a crank did not panic")
		}
	}()
	s.Set("a", "1")
}

func TestKVOrderedIterationAcrossLayers(t *testing.T) {
	s, _ := newTestStore(t)
	crank(t, s, func() {
		for _, k := range []string{"v1.c.o+1", "v1.c.o+2", "v2.c.o+1", "v1.o.nextID", "w"} {
			s.Set(k, "x")
		}
	})
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	crank(t, s, func() { s.Set("v1.c.o+0", "y") }) // in the block, not committed
	s.BeginCrank()
	defer s.AbortCrank()
	s.Delete("v1.c.o+2")
	s.Set("v1.c.o+3", "z")
	got := s.KeysWithPrefix("v1.c.")
	want := []string{"v1.c.o+0", "v1.c.o+1", "v1.c.o+3"}
	if !slices.Equal(got, want) {
		t.Fatalf("KeysWithPrefix = %v, want %v", got, want)
	}
	var walk []string
	for k, ok := s.GetNextKey(""); ok; k, ok = s.GetNextKey(k) {
		walk = append(walk, k)
	}
	want = []string{ActivityHashKey, "v1.c.o+0", "v1.c.o+1", "v1.c.o+3", "v1.o.nextID", "v2.c.o+1", "w"}
	if !slices.Equal(walk, want) {
		t.Fatalf("GetNextKey walk = %v, want %v", walk, want)
	}
	if v, ok := s.Get("v1.c.o+2"); ok {
		t.Fatalf("deleted key still reads %q", v)
	}
	if !s.Has("v1.c.o+3") || !s.Has("w") {
		t.Fatal("Has misses crank or committed keys")
	}
	if len(s.KeysWithPrefix("")) != 7 {
		t.Fatalf("KeysWithPrefix(\"\") = %v", s.KeysWithPrefix(""))
	}
}

func TestUncommittedBlockLostOnClose(t *testing.T) {
	s, path := newTestStore(t)
	crank(t, s, func() { s.Set("a", "1") })
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	crank(t, s, func() { s.Set("a", "2"); s.Set("b", "2") })
	s.AppendTranscriptInCrank(t)
	s.Close()
	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if v, _ := s2.Get("a"); v != "1" {
		t.Fatalf("a = %q after reopen, want the committed 1", v)
	}
	if s2.Has("b") {
		t.Fatal("uncommitted b survived")
	}
	if n := s2.TranscriptLength("v1"); n != 0 {
		t.Fatalf("uncommitted transcript survived: %d items", n)
	}
}

// AppendTranscriptInCrank appends one item in a crank of its own.
func (s *Store) AppendTranscriptInCrank(t *testing.T) {
	s.BeginCrank()
	s.AppendTranscript("v1", 0, []byte("x"))
	if _, _, err := s.EndCrank(); err != nil {
		t.Fatal(err)
	}
}

func TestTranscriptChain(t *testing.T) {
	s, path := newTestStore(t)
	items := [][]byte{[]byte(`{"d":1}`), []byte(`{"d":2}`), []byte(`{"d":3}`)}
	crank(t, s, func() {
		for i, it := range items[:2] {
			if pos := s.AppendTranscript("v1", 0, it); pos != uint64(i) {
				t.Fatalf("pos %d, want %d", pos, i)
			}
		}
	})
	s.BeginCrank()
	s.AppendTranscript("v1", 0, []byte("aborted"))
	s.AbortCrank()
	crank(t, s, func() { s.AppendTranscript("v1", 1, items[2]) })
	want := InitialTranscriptHash
	for _, it := range items {
		want = NextTranscriptHash(want, it)
	}
	if got := s.TranscriptHash("v1"); got != want {
		t.Fatalf("hash %s, want %s", got, want)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.TranscriptLength("v1") != 3 || s.TranscriptHash("v1") != want {
		t.Fatalf("after reopen: length %d hash %s", s.TranscriptLength("v1"), s.TranscriptHash("v1"))
	}
	var got []string
	err = s.ReadTranscript("v1", 1, func(e TranscriptEntry) error {
		got = append(got, string(e.Item))
		return nil
	})
	if err != nil || !slices.Equal(got, []string{`{"d":2}`, `{"d":3}`}) {
		t.Fatalf("ReadTranscript from 1 = %v, %v", got, err)
	}
	stop := errors.New("stop")
	if err := s.ReadTranscript("v1", 0, func(TranscriptEntry) error { return stop }); err != stop {
		t.Fatalf("ReadTranscript did not pass fn's error: %v", err)
	}
	crank(t, s, func() { s.DeleteTranscript("v1") })
	if s.TranscriptLength("v1") != 0 || len(s.TranscriptVats()) != 0 {
		t.Fatal("transcript not deleted")
	}
}

func TestBundles(t *testing.T) {
	s, _ := newTestStore(t)
	crank(t, s, func() {
		s.PutBundle("b1-bb", []byte("bundle b"))
		s.PutBundle("b1-aa", []byte("bundle a"))
	})
	if !s.HasBundle("b1-aa") || s.BundleSize("b1-bb") != 8 || s.HasBundle("b1-cc") {
		t.Fatal("bundle presence wrong")
	}
	if got, err := s.GetBundle("b1-aa"); err != nil || string(got) != "bundle a" {
		t.Fatalf("GetBundle = %q, %v", got, err)
	}
	if _, err := s.GetBundle("b1-cc"); !errors.Is(err, ErrNoBundle) {
		t.Fatalf("missing bundle: %v", err)
	}
	s.BeginCrank()
	s.DeleteBundle("b1-aa")
	if ids := s.BundleIDs(); !slices.Equal(ids, []string{"b1-bb"}) {
		t.Fatalf("BundleIDs in crank = %v", ids)
	}
	s.AbortCrank()
	if ids := s.BundleIDs(); !slices.Equal(ids, []string{"b1-aa", "b1-bb"}) {
		t.Fatalf("BundleIDs = %v", ids)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing.sqlite"), Options{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.sqlite")); err == nil {
		t.Fatal("Open created a file")
	}
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, []byte("this is not a database, just some text that is long enough to look like a header"), 0o644)
	if _, err := Open(junk, Options{}); !errors.Is(err, ErrNotStore) {
		t.Fatalf("junk: %v", err)
	}
	// Real SQLite databases that are not stores: refused, read-write or
	// read-only, and left as they were.
	for name, sql := range map[string]string{
		"other-app":    "CREATE TABLE t (x); INSERT INTO t VALUES (1)",
		"other-format": "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('format', 'something-else')",
	} {
		p := filepath.Join(dir, name)
		db, err := sqlite3.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Exec(sql); err != nil {
			t.Fatal(err)
		}
		db.Close()
		before, _ := os.ReadFile(p)
		for _, ro := range []bool{false, true} {
			if _, err := Open(p, Options{ReadOnly: ro}); !errors.Is(err, ErrNotStore) {
				t.Fatalf("%s (read-only %v): %v", name, ro, err)
			}
		}
		if after, _ := os.ReadFile(p); !bytes.Equal(before, after) {
			t.Fatalf("%s: Open changed the file", name)
		}
	}
	s, path := newTestStore(t)
	s.Close()
	if _, err := Create(path, Options{}); !errors.Is(err, ErrExists) {
		t.Fatalf("create twice: %v", err)
	}
	if _, err := Create(filepath.Join(dir, "x"), Options{Synchronous: "sometimes"}); err == nil {
		t.Fatal("bad synchronous accepted")
	}
}

func TestHostKeys(t *testing.T) {
	s, _ := newTestStore(t)
	if err := s.HostSet("host.height", "7"); err != nil {
		t.Fatal(err)
	}
	if v, ok := s.HostGet("host.height"); !ok || v != "7" {
		t.Fatalf("HostGet = %q %v", v, ok)
	}
	if err := s.HostSet("kernel.x", "1"); err == nil {
		t.Fatal("HostSet accepted a kernel key")
	}
	_, ah := crank(t, s, func() {})
	if ah != NextActivityHash("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") {
		t.Fatal("host key reached the crank hash")
	}
}

func BenchmarkCrankCommit(b *testing.B) {
	path := filepath.Join(b.TempDir(), "kernel.sqlite")
	s, err := Create(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	item := []byte(`{"d":["message","o+0",{"methargs":{"body":"#[\"ping\",[1]]","slots":[]},"result":"p-1"}],"s":[],"o":{"c":120}}`)
	i := 0
	for b.Loop() {
		s.BeginCrank()
		s.Set("runQueue", `[1,2]`)
		s.Set("kp1.state", "fulfilled")
		s.Set("kp1.data.body", "#1")
		s.Delete("kp0.state")
		s.AppendTranscript("v1", 0, item)
		if _, _, err := s.EndCrank(); err != nil {
			b.Fatal(err)
		}
		if i++; i%1000 == 0 {
			if err := s.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	}
	s.Commit()
}

// TestPruneTranscript: pruning drops the items before a position, in the
// open crank, the block and SQLite alike; later items keep their positions.
func TestPruneTranscript(t *testing.T) {
	s, _ := newTestStore(t)
	s.BeginCrank()
	for i := range 5 {
		s.AppendTranscript("v1", 0, []byte(fmt.Sprintf("a%d", i)))
	}
	s.AppendTranscript("v2", 0, []byte("other"))
	if _, _, err := s.EndCrank(); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	s.BeginCrank()
	s.AppendTranscript("v1", 1, []byte("b5"))
	s.PruneTranscript("v1", 3)
	s.AppendTranscript("v1", 1, []byte("b6"))
	read := func() string {
		var got []string
		if err := s.ReadTranscript("v1", 0, func(e TranscriptEntry) error {
			got = append(got, fmt.Sprintf("%d:%s", e.Pos, e.Item))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return strings.Join(got, " ")
	}
	want := "3:a3 4:a4 5:b5 6:b6"
	if got := read(); got != want {
		t.Fatalf("in the crank: %s, want %s", got, want)
	}
	if _, _, err := s.EndCrank(); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != want {
		t.Fatalf("in the block: %s, want %s", got, want)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != want {
		t.Fatalf("committed: %s, want %s", got, want)
	}
	if n := s.TranscriptLength("v1"); n != 7 {
		t.Fatalf("length %d, want 7", n)
	}
	if n := s.TranscriptLength("v2"); n != 1 {
		t.Fatalf("v2 length %d, want 1", n)
	}
}

// TestReadTransactionCommitFails ends the read transaction that reads
// between commits behind the store's back, so the COMMIT that closes it
// fails: the block's commit returns that error naming the database and
// nothing of the block is written; the store then refuses every crank
// and commit with the same error (a failure is sticky), and a reopen finds
// the last committed state.
func TestReadTransactionCommitFails(t *testing.T) {
	s, path := newTestStore(t)
	crank(t, s, func() { s.Set("a", "1") })
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	crank(t, s, func() { s.Set("a", "2") })
	if _, ok := s.Get("never-set"); ok || !s.inRead {
		t.Fatalf("never-set found %v, read transaction open %v", ok, s.inRead)
	}
	if err := s.db.Exec("COMMIT"); err != nil {
		t.Fatal(err)
	}
	err := s.Commit()
	want := "store: end read transaction: " + path + ": sqlite3: SQL logic error: cannot commit - no transaction is active"
	if err == nil || err.Error() != want {
		t.Fatalf("commit = %v, want %s", err, want)
	}
	s.BeginCrank()
	s.Set("b", "1")
	if _, _, again := s.EndCrank(); again != err {
		t.Fatalf("the next crank = %v, want the first error again", again)
	}
	if again := s.Commit(); again != err {
		t.Fatalf("the next commit = %v, want the first error again", again)
	}
	s.Close()
	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if v, _ := s2.Get("a"); v != "1" || s2.Has("b") {
		t.Fatalf("after reopen a = %q, b present %v; want only the first block", v, s2.Has("b"))
	}
}

// dbValue reads key from the database itself, past the store's cache.
func (s *Store) dbValue(t testing.TB, key string) (string, bool) {
	t.Helper()
	st, err := s.stmt("SELECT value FROM kvStore WHERE key = ?")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Reset()
	st.BindText(1, key)
	if st.Step() {
		return st.ColumnText(0), true
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	return "", false
}

// kvWriteCases are keys and values that a commit's batched JSON must carry
// exactly, and some it must not try to (not UTF-8, or with a NUL).
var kvWriteCases = []string{
	"", "plain", `quote " and backslash \ and slash /`, "control \x01\x1f\n\t\r", "del \x7f",
	"é ü 😀 \u2028 \u2029 \ufeff", "nul \x00 inside", "not utf-8 \xff\xfe", "lone surrogate \xed\xa0\x80",
	`{"json": [1, "two"]}`, `\u0041 stays as six characters`, strings.Repeat("big ", 1<<19),
}

// TestKVWriteExact: whatever a key or value holds, a commit writes it to
// the database byte for byte, and deletes what it should, in blocks large
// enough to take several batches.
func TestKVWriteExact(t *testing.T) {
	s, path := newTestStore(t)
	want := map[string]string{}
	crank(t, s, func() {
		for i, k := range kvWriteCases {
			for j, v := range kvWriteCases {
				key := fmt.Sprintf("k%02d.%02d %s", i, j, k[:min(len(k), 40)])
				s.Set(key, v)
				want[key] = v
			}
		}
		for i := range 3000 {
			key := fmt.Sprintf("many.%04d", i)
			s.Set(key, strings.Repeat("v", 1000))
			want[key] = strings.Repeat("v", 1000)
		}
	})
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	crank(t, s, func() {
		for k := range want {
			if strings.HasPrefix(k, "many.0") || strings.HasPrefix(k, "k03.") {
				s.Delete(k)
				delete(want, k)
			}
		}
		s.Set("never committed", "x")
		s.Delete("never committed")
	})
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for k, v := range want {
		if got, ok := s.dbValue(t, k); !ok || got != v {
			t.Fatalf("%q = %q (%v), want %q", k, got[:min(len(got), 60)], ok, v[:min(len(v), 60)])
		}
	}
	if keys := s.KeysWithPrefix(""); len(keys) != len(want)+1 { // and ActivityHashKey
		t.Fatalf("%d keys stored, want %d", len(keys), len(want)+1)
	}
}

// FuzzKVWrite: any key and value survive a commit exactly.
func FuzzKVWrite(f *testing.F) {
	for _, c := range kvWriteCases[:len(kvWriteCases)-1] {
		f.Add(c, c)
	}
	s, _ := newTestStore(f)
	f.Fuzz(func(t *testing.T, key, value string) {
		s.BeginCrank()
		s.Set("k"+key, value)
		if _, _, err := s.EndCrank(); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(); err != nil {
			t.Fatal(err)
		}
		if got, ok := s.dbValue(t, "k"+key); !ok || got != value {
			t.Fatalf("%q = %q (%v), want %q", key, got, ok, value)
		}
	})
}
