package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLISnapshots: with the wasm worker, dump lists each JS vat's heap
// snapshot and where its pruned transcript begins; replay starts from the
// snapshot, and replay --full is refused for a pruned transcript.
func TestCLISnapshots(t *testing.T) {
	t.Setenv("COOPER_JS_WORKER", "wasm")
	files := map[string]string{"config.json": `{"bootstrap": "bootstrap", "snapshotInterval": 4, "pruneTranscripts": true,
	  "vats": {"bootstrap": {"sourceSpec": "bootstrap.js"}, "alice": {"sourceSpec": "alice.js"}, "bob": {"sourceSpec": "bob.js"}}}`}
	for _, name := range []string{"bootstrap.js", "alice.js", "bob.js"} {
		data, err := os.ReadFile(filepath.Join("../../demo/pingpong", name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(data)
	}
	dir := filepath.Join(t.TempDir(), "k")
	if _, _, err := cli(t, "init", dir, filepath.Join(writeFiles(t, files), "config.json")); err != nil {
		t.Fatal(err)
	}
	if out, _, err := cli(t, "call", dir, "alice", "sequential", "10"); err != nil || strings.TrimSpace(out) != "10" {
		t.Fatalf("call: %q %v", out, err)
	}
	out, _, err := cli(t, "dump", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"v1 13 deliveries (kept from 12)", "# heap snapshots", "v1 at delivery 13: ", "build wasm-"} {
		if !strings.Contains(out, want) {
			t.Fatalf("dump lacks %q:\n%s", want, out)
		}
	}
	out, _, err = cli(t, "replay", dir, "--vat", "v1")
	if err != nil || !strings.Contains(out, "0 deliveries from 13") || !strings.Contains(out, "OK") {
		t.Fatalf("replay: %v\n%s", err, out)
	}
	out, _, err = cli(t, "replay", dir, "--vat", "v1", "--full")
	if err == nil || !strings.Contains(out, "FAILED: cannot restore v1 (alice): the transcript before delivery 12 is pruned") {
		t.Fatalf("replay --full: %v\n%s", err, out)
	}
}
