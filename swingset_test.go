package cooper_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/kernel"
)

// swingsetVats is where the SwingSet peer keeps the vats it benchmarks; the
// test runs them unchanged when the directory is there.
var swingsetVats = filepath.Join("..", "shared", "peer", "swingset", "vats")

func swingsetKernel(t *testing.T, config string) (*kernel.Kernel, string) {
	t.Helper()
	abs, err := filepath.Abs(swingsetVats)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(abs, "vat-alice.js")); err != nil {
		t.Skipf("SwingSet peer vats not found at %s", abs)
	}
	cfg, err := cooper.ParseConfig([]byte(config))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Dir = abs
	dir := t.TempDir()
	k, err := cooper.Init(dir, cfg, cooper.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Run(kernel.UntilEmpty()); err != nil {
		t.Fatal(err)
	}
	return k, dir
}

func TestSwingSetPingPongUnchanged(t *testing.T) {
	k, _ := swingsetKernel(t, `{
	  "bootstrap": "bootstrap",
	  "vats": {
	    "bootstrap": { "sourceSpec": "bootstrap-pingpong.js" },
	    "alice": { "sourceSpec": "vat-alice.js" },
	    "bob": { "sourceSpec": "vat-bob.js" }
	  }
	}`)
	defer k.Close()
	if n := callNumber(t, k, "alice", "sequential", 20.0); n != 20 {
		t.Fatalf("alice.sequential(20) = %v", n)
	}
	if n := callNumber(t, k, "alice", "concurrent", 20.0); n != 40 {
		t.Fatalf("alice.concurrent(20) = %v", n)
	}
	if n := callNumber(t, k, "bob", "getCount"); n != 40 {
		t.Fatalf("bob.getCount() = %v", n)
	}
}

func TestSwingSetDynamicCounterUnchanged(t *testing.T) {
	k, dir := swingsetKernel(t, `{
	  "bootstrap": "bootstrap",
	  "vats": { "bootstrap": { "sourceSpec": "bootstrap-dynamic.js" } },
	  "bundles": { "counter": { "sourceSpec": "vat-counter.js" } }
	}`)
	if s := callString(t, k, "bootstrap", "createCounter"); s != "created" {
		t.Fatalf("createCounter = %s", s)
	}
	if n := callNumber(t, k, "bootstrap", "drive", 20.0); n != 21 {
		t.Fatalf("drive(20) = %v", n)
	}
	if err := k.Commit(); err != nil {
		t.Fatal(err)
	}
	k.Close()
	k, err := cooper.Open(dir, cooper.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if n := callNumber(t, k, "bootstrap", "bumpOnce"); n != 22 {
		t.Fatalf("bumpOnce after restart = %v", n)
	}
	if n := callNumber(t, k, "counter", "get"); n != 22 {
		t.Fatalf("counter.get by name = %v", n)
	}
}
