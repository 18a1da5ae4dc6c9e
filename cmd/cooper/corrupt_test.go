package main

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/cooper-kernel/cooper"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/cooper-kernel/cooper/internal/testkit"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/store"
)

// jsKernel makes a kernel of the JS ping-pong demo (bundles, transcripts,
// c-lists) that has done some work, and returns its directory.
func jsKernel(t *testing.T) string {
	t.Helper()
	// On goja: the byte flips walk the whole file, and wasm heap snapshots
	// would make it megabytes (store's TestCorruptSnapshot covers those).
	t.Setenv(cooper.JSWorkerEnv, "goja")
	dir := filepath.Join(t.TempDir(), "k")
	if _, _, err := cli(t, "init", dir, filepath.Join("..", "..", "demo", "pingpong", "config.json")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cli(t, "call", dir, "alice", "sequential", "5"); err != nil {
		t.Fatal(err)
	}
	return dir
}

// flipTarget is a byte of the kernel database to damage.
type flipTarget struct {
	name string
	off  int64
}

// flipTargets returns bytes in a c-list value, a kv number, a transcript
// item and a bundle, plus three bytes in every page (one of its checksum).
func flipTargets(t *testing.T, data []byte) []flipTarget {
	t.Helper()
	var out []flipTarget
	for _, n := range []struct{ name, find string }{
		{"c-list value", "R o-2"},
		{"kv value", `"meteringVersion":"cooper-`},
		{"transcript item", `"message"`},
		{"bundle", "sequential"},
		{"meta table", "cooper-store-v1"},
	} {
		i := bytes.Index(data, []byte(n.find))
		if i < 0 {
			t.Fatalf("no %q in the database", n.find)
		}
		out = append(out, flipTarget{n.name, int64(i + 1)})
	}
	const pageSize = 4096
	for p := int64(0); p < int64(len(data)); p += pageSize {
		for _, in := range []int64{7 + (p/pageSize*131)%(pageSize-16), pageSize/2 + 5, pageSize - 1} {
			out = append(out, flipTarget{fmt.Sprintf("page %d", p/pageSize+1), p + in})
		}
	}
	return out
}

// TestCLIByteFlips damages one byte of a kernel database at a time — in a
// c-list value, a kv page, a transcript page, a bundle page and every other
// page — and runs every command on it in-process: run and call refuse it
// with one line naming the damaged page before they commit anything; dump
// and replay either say it is corrupt or, if they never read that page,
// print exactly what they print on the undamaged kernel. No command panics
// or writes into the damaged file.
func TestCLIByteFlips(t *testing.T) {
	clean := jsKernel(t)
	data, err := os.ReadFile(filepath.Join(clean, kernel.DBName))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	readers := [][]string{{"dump"}, {"dump", "--json"}, {"dump", "--refcounts"}, {"dump", "--stats"}, {"replay"}}
	for _, r := range readers {
		out, _, err := cli(t, append(r[:1:1], append([]string{clean}, r[1:]...)...)...)
		if err != nil {
			t.Fatalf("%v on the clean kernel: %v", r, err)
		}
		want[strings.Join(r, " ")] = stripTimes(out)
	}
	caught, same := 0, 0
	targets := flipTargets(t, data)
	for i, ft := range targets {
		dir := filepath.Join(t.TempDir(), "k")
		os.Mkdir(dir, 0o755)
		damaged := bytes.Clone(data)
		damaged[ft.off] ^= 0x04
		path := filepath.Join(dir, kernel.DBName)
		if err := os.WriteFile(path, damaged, 0o644); err != nil {
			t.Fatal(err)
		}
		page := ft.off/4096 + 1
		for _, w := range [][]string{{"call", dir, "alice", "sequential", "1"}, {"run", dir}, {"upgrade", dir, "bob", filepath.Join("..", "..", "demo", "pingpong", "bob.js")}} {
			_, _, err := cli(t, w...)
			wantErr := fmt.Sprintf("corrupt page %d of %s", page, path)
			if err == nil || !strings.Contains(err.Error(), wantErr) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("%s (offset %d): %s = %v, want one line with %q", ft.name, ft.off, w[0], err, wantErr)
			}
		}
		for _, r := range readers {
			if r[0] == "replay" && i >= 5 && i%4 != 0 {
				continue // replay starts JS vats: only the named targets and every 4th page
			}
			out, _, err := cli(t, append(r[:1:1], append([]string{dir}, r[1:]...)...)...)
			switch {
			case err != nil && errors.Is(err, store.ErrCorrupt) && !strings.Contains(err.Error(), "\n"):
				caught++
			case err != nil && r[0] == "replay" && strings.Contains(out, "corrupt page"):
				caught++ // the vat whose transcript was hit says so
			case err != nil:
				t.Fatalf("%s (offset %d): %v = %v\n%s", ft.name, ft.off, r, err, out)
			case stripTimes(out) != want[strings.Join(r, " ")]:
				t.Fatalf("%s (offset %d): %v served damaged data:\n%s", ft.name, ft.off, r, out)
			default:
				same++
			}
		}
		after, _ := os.ReadFile(path)
		if !bytes.Equal(after, damaged) {
			t.Fatalf("%s (offset %d): a command wrote into the damaged file", ft.name, ft.off)
		}
	}
	t.Logf("%d flips: readers said corrupt %d times, read nothing damaged %d times", len(targets), caught, same)
	// Readers only verify the pages they read: flips in the heap-snapshot
	// tables (empty here) or in free space go unseen by dump, and must then
	// change nothing it prints (checked above). Most flips must be caught.
	if caught*2 < same {
		t.Fatal("readers rarely noticed the damage")
	}
}

// stripTimes blanks replay's elapsed times.
func stripTimes(out string) string {
	var b strings.Builder
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 4 && f[3] == "deliveries" {
			for i := 4; i < len(f); i++ {
				if _, err := time.ParseDuration(f[i]); err == nil {
					f[i] = "T"
				}
			}
			l = strings.Join(f, " ")
		}
		b.WriteString(l + "\n")
	}
	return b.String()
}

// TestCLICorruptValues writes values that break the schema (with valid
// page checksums: the kind of damage only the state layer can see) and
// runs every command: each either works or fails with one line, never a
// panic.
func TestCLICorruptValues(t *testing.T) {
	clean := jsKernel(t)
	data, err := os.ReadFile(filepath.Join(clean, kernel.DBName))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ key, value string }{
		{"v1.o.nextID", "many"},
		{"v1.options", "{"},
		{"v1.source", `{"bundleID":"b1-0000"}`},
		{"vat.names", "["},
		{"vat.dynamicIDs", `["v99"]`},
		{"crankNumber", "-1"},
		{"runQueue", "[3,1]"},
		{"kp1.state", "confused"},
		{"ko1.refCount", "x"},
		{"kp1.pinned", "twice"},
		{"v1.c.o-1", "ko999"},
		{"version", "2"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "k")
			os.Mkdir(dir, 0o755)
			if err := os.WriteFile(filepath.Join(dir, kernel.DBName), data, 0o644); err != nil {
				t.Fatal(err)
			}
			testkit.CorruptKV(t, dir, tc.key, tc.value)
			for _, args := range [][]string{
				{"call", dir, "alice", "sequential", "1"}, {"run", dir}, {"dump", dir}, {"dump", dir, "--refcounts"},
				{"dump", dir, "--stats"}, {"dump", dir, "--vat", "v1"}, {"replay", dir},
				{"upgrade", dir, "bob", filepath.Join("..", "..", "demo", "pingpong", "bob.js")},
			} {
				out, _, err := cli(t, args...)
				if err != nil && strings.Contains(err.Error(), "\n") {
					t.Errorf("%v: error on two lines: %q", args, err)
				}
				if strings.Contains(out, "panic") || err != nil && strings.Contains(err.Error(), "goroutine") {
					t.Errorf("%v: %v\n%s", args, err, out)
				}
			}
		})
	}
}

// legacyCopy rewrites dir's kernel database as the code before page
// checksums made it: the same tables, no bytes reserved per page.
func legacyCopy(t *testing.T, dir string) {
	t.Helper()
	path := filepath.Join(dir, kernel.DBName)
	tmp := path + ".legacy"
	db, err := sqlite3.Open(tmp)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			db.Close()
			t.Fatal(err)
		}
	}
	must(db.Exec("PRAGMA journal_mode=WAL"))
	must(db.Exec(fmt.Sprintf("ATTACH 'file:%s?mode=ro' AS src", path)))
	st, _, err := db.Prepare("SELECT name, sql FROM src.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
	must(err)
	var tables, schema []string
	for st.Step() {
		tables, schema = append(tables, st.ColumnText(0)), append(schema, st.ColumnText(1))
	}
	must(st.Err())
	st.Close()
	for i, table := range tables {
		must(db.Exec(schema[i]))
		must(db.Exec(fmt.Sprintf("INSERT INTO main.%s SELECT * FROM src.%s", table, table)))
	}
	must(db.Exec("DETACH src"))
	must(db.Close())
	if err := store.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestCLIConvertsOldKernel: a kernel made before page checksums is read
// as it is by dump and replay, and converted once, with a note, by the
// first command that writes; afterwards a flipped byte is caught.
func TestCLIConvertsOldKernel(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "k")
	if _, _, err := cli(t, "init", dir, writeConfig(t, goConfig)); err != nil {
		t.Fatal(err)
	}
	before, _, _ := cli(t, "dump", dir, "--json")
	legacyCopy(t, dir)
	path := filepath.Join(dir, kernel.DBName)
	reserved := func() byte {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return data[20]
	}
	if reserved() != 0 {
		t.Fatal("the legacy copy has checksums")
	}
	if out, stderr, err := cli(t, "dump", dir, "--json"); err != nil || out != before || stderr != "" {
		t.Fatalf("dump of the old kernel: %v (stderr %q)", err, stderr)
	}
	if _, _, err := cli(t, "replay", dir); err != nil || reserved() != 0 {
		t.Fatalf("replay of the old kernel: %v", err)
	}
	out, stderr, err := cli(t, "call", dir, "alice", "sequential", "3")
	if err != nil || strings.TrimSpace(out) != "3" {
		t.Fatalf("call on the old kernel: %v %q", err, out)
	}
	wantNote := fmt.Sprintf("cooper: note: %s: added page checksums (a one-time conversion of a database made by an older version)\n", path)
	if stderr != wantNote || reserved() != 8 {
		t.Fatalf("stderr %q, reserved %d; want the note and 8", stderr, reserved())
	}
	if _, stderr, err := cli(t, "call", dir, "alice", "sequential", "1"); err != nil || stderr != "" {
		t.Fatalf("second call: %v, stderr %q", err, stderr)
	}
	data, _ := os.ReadFile(path)
	data[bytes.Index(data, []byte("go-alice"))] ^= 1
	os.WriteFile(path, data, 0o644)
	if _, _, err := cli(t, "run", dir); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("run after a flip in the converted kernel: %v", err)
	}
}
