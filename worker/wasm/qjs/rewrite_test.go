package qjs

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
	path := filepath.Join(dir, "rewrite-"+key+".bin")
	check := func(what string) {
		t.Helper()
		r, err := rewrite(quickjswasi.QuickJSWASM, opts, dir)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if r.Hash != fresh.Hash || string(r.Wasm) != string(fresh.Wasm) || r.StackTop != fresh.StackTop || r.DataEnd != fresh.DataEnd ||
			!slices.Equal(r.Globals, fresh.Globals) || !slices.Equal(r.HostTableIndexes, fresh.HostTableIndexes) {
			t.Fatalf("%s: the rewrite differs from a fresh one", what)
		}
		if _, err := loadRewrite(path); err != nil {
			t.Fatalf("%s: not kept: %v", what, err)
		}
	}
	check("first")
	check("from the cache")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// A flipped byte anywhere — in the module or in the metadata the
	// engine trusts beside it (e.g. where the data segments end) — is
	// refused and made again.
	for _, off := range []int{len(data) / 2, rewriteHeader + 20, 3} {
		bad := slices.Clone(data)
		bad[off] ^= 1
		if err := os.WriteFile(path, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := loadRewrite(path); err == nil {
			t.Fatalf("a damaged entry (byte %d) was loaded", off)
		}
		check(fmt.Sprintf("after damage at byte %d", off))
	}
	if err := os.WriteFile(path, data[:10], 0o644); err != nil {
		t.Fatal(err)
	}
	check("after truncation")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	check("after a lost entry")
	// Other options are another entry.
	other := opts
	other.DepthBudget++
	if k2, _ := rewriteKey(quickjswasi.QuickJSWASM, other); k2 == key {
		t.Fatal("other options share the cache entry")
	}
}
