package eventlog_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/demo"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/kernel/eventlog"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGoldenEventLog runs a small scenario (create a kernel with a counter,
// send it two messages, restart, one more) and compares the event log with
// testdata/counter.jsonl; times are pinned so the whole log is compared.
func TestGoldenEventLog(t *testing.T) {
	var buf bytes.Buffer
	w := eventlog.New(&buf)
	w.Now = func() time.Time { return time.Unix(0, 0) }
	opts := cooper.Options{GoVats: demo.GoVats(), Observer: w.Observe}
	cfg := &kernel.Config{Vats: []kernel.VatConfig{{Name: "counter", BundleName: "go-counter", Parameters: capdata.NewRecord("label", "c")}}}
	dir := t.TempDir()
	k, err := cooper.Create(dir, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]capdata.Value{nil, {2.0}} {
		method := "increment"
		if args != nil {
			method = "add"
		}
		if _, err := k.QueueToVatRoot("counter", method, args); err != nil {
			t.Fatal(err)
		}
		if _, err := k.Run(kernel.UntilEmpty()); err != nil {
			t.Fatal(err)
		}
	}
	if err := k.Commit(); err != nil {
		t.Fatal(err)
	}
	k.Close()
	k, err = cooper.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.QueueToVatRoot("counter", "get", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Run(kernel.UntilEmpty()); err != nil {
		t.Fatal(err)
	}
	k.Close()
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "counter.jsonl")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("event log differs from %s (go test -update to accept):\n%s", golden, buf.String())
	}
}
