package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dynamicKernel makes a kernel whose bootstrap creates dynamic vats (the
// root package's dynamic-vat test vats) and returns its directory.
func dynamicKernel(t *testing.T) string {
	t.Helper()
	files := map[string]string{
		"config.json": `{
  "bootstrap": "bootstrap",
  "vats": { "bootstrap": { "sourceSpec": "dynboot.js" } },
  "bundles": { "counter": { "sourceSpec": "counter.js" }, "busy": { "sourceSpec": "busy.js" } }
}`,
	}
	for name, from := range map[string]string{
		"dynboot.js": "../../testdata/js/dynboot.js",
		"busy.js":    "../../testdata/js/busy.js",
		"counter.js": "../../demo/dynamic/counter.js",
	} {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(data)
	}
	dir := filepath.Join(t.TempDir(), "k")
	if _, _, err := cli(t, "init", dir, filepath.Join(writeFiles(t, files), "config.json")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestCLIDuplicateVatNames: two dynamic vats with one name are both
// created, and a call by that name is refused, naming both vat IDs; each
// is reachable by its ID.
func TestCLIDuplicateVatNames(t *testing.T) {
	dir := dynamicKernel(t)
	for range 2 {
		if out, _, err := cli(t, "call", dir, "bootstrap", "byName", "dup"); err != nil || strings.TrimSpace(out) != "1" {
			t.Fatalf("byName dup = %q, %v", out, err)
		}
	}
	_, _, err := cli(t, "call", dir, "dup", "get")
	if err == nil || !strings.Contains(err.Error(), `vat name "dup" is ambiguous: v3, v4 have it (use a vat ID)`) {
		t.Fatalf("call dup: %v", err)
	}
	for _, id := range []string{"v3", "v4"} {
		if out, _, err := cli(t, "call", dir, id, "label"); err != nil || strings.TrimSpace(out) != `"counter"` {
			t.Fatalf("call %s label = %q, %v", id, out, err)
		}
	}
}

// TestCLIMeterKillSaysWhy: a call whose vat runs out of its meter says
// why the vat ended, and so do later calls to it, by name or by ID.
func TestCLIMeterKillSaysWhy(t *testing.T) {
	dir := dynamicKernel(t)
	if _, _, err := cli(t, "call", dir, "bootstrap", "metered", "m", "300000", "100000"); err != nil {
		t.Fatal(err)
	}
	var err error
	for i := 0; i < 50 && err == nil; i++ {
		_, _, err = cli(t, "call", dir, "m", "work", "150000")
	}
	const why = "meter underflow"
	if err == nil || !strings.Contains(err.Error(), "m.work rejected: Error: vat terminated") || !strings.Contains(err.Error(), why) {
		t.Fatalf("the call that ran out: %v", err)
	}
	for _, name := range []string{"m", "v3"} {
		_, _, err := cli(t, "call", dir, name, "increment")
		if err == nil || !strings.Contains(err.Error(), "terminated") || !strings.Contains(err.Error(), why) {
			t.Fatalf("call %s after the kill: %v", name, err)
		}
	}
}
