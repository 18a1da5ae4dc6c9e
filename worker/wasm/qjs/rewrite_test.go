package qjs

import (
	"os"
	"path/filepath"
	"testing"

	quickjswasi "github.com/aperturerobotics/go-quickjs-wasi-reactor"

	"github.com/cooper-kernel/cooper/worker/wasm/instrument"
)

// TestRewriteCache: a rewrite kept in the cache directory is what a fresh
// rewrite makes; a damaged or missing entry is made again (and kept
// again), never used.
func TestRewriteCache(t *testing.T) {
	dir := t.TempDir()
	opts := instrument.Options{StackSize: StackSize, DepthBudget: DepthBudget, Host: hostImport, MoreHosts: []*instrument.HostImport{interruptImport}}
	fresh, err := instrument.Rewrite(quickjswasi.QuickJSWASM, opts)
	if err != nil {
		t.Fatal(err)
	}
	key, err := rewriteKey(quickjswasi.QuickJSWASM, opts)
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, "rewrite-"+key)
	check := func(what string) {
		t.Helper()
		r, err := rewrite(quickjswasi.QuickJSWASM, opts, dir)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if r.Hash != fresh.Hash || string(r.Wasm) != string(fresh.Wasm) || r.StackTop != fresh.StackTop || r.DataEnd != fresh.DataEnd ||
			len(r.Globals) != len(fresh.Globals) || len(r.HostTableIndexes) != len(fresh.HostTableIndexes) {
			t.Fatalf("%s: the rewrite differs from a fresh one", what)
		}
		if _, err := loadRewrite(base); err != nil {
			t.Fatalf("%s: not kept: %v", what, err)
		}
	}
	check("first")
	check("from the cache")
	data, err := os.ReadFile(base + ".wasm")
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 1
	if err := os.WriteFile(base+".wasm", data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadRewrite(base); err == nil {
		t.Fatal("a damaged module was loaded")
	}
	check("after damage")
	if err := os.WriteFile(base+".json", []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	check("after a bad header")
	if err := os.Remove(base + ".wasm"); err != nil {
		t.Fatal(err)
	}
	check("after a lost module")
	// Other options are another entry.
	other := opts
	other.DepthBudget++
	if k2, _ := rewriteKey(quickjswasi.QuickJSWASM, other); k2 == key {
		t.Fatal("other options share the cache entry")
	}
}
