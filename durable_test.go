package cooper_test

import (
	"fmt"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/vat"
)

const bigMapConfig = `{"vats": {"big": {"sourceSpec": "bigmap.js"}}}`

// fillBigMap puts n entries into the big map vat, batch entries per delivery.
func fillBigMap(t *testing.T, k *kernel.Kernel, from, n, batch int) {
	for i := from; i < from+n; i += batch {
		rejected, v := call(t, k, "big", "fill", float64(i), float64(batch))
		if rejected || v != float64(i+batch) {
			t.Fatalf("fill(%d): %s", i, capdata.Format(v))
		}
		if err := k.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestDurableBigCollection: a durable map of 100,000 entries keeps them in
// the vatstore (the heap does not grow with them), answers in key order,
// and after an upgrade a restart replays only the new incarnation.
func TestDurableBigCollection(t *testing.T) {
	total := 100_000
	if testing.Short() {
		total = 20_000
	}
	const batch = 2_000
	dir := t.TempDir()
	k := jsKernel(t, dir, bigMapConfig, cooper.Options{})
	fillBigMap(t, k, 0, 10_000, batch)
	before := heapAlloc()
	fillBigMap(t, k, 10_000, total-10_000, batch)
	after := heapAlloc()
	t.Logf("heap after 10,000 entries: %d KiB; after %d: %d KiB", before>>10, total, after>>10)
	// Were the entries kept in the heap (as JS objects or Go values), the
	// growth would be tens of megabytes.
	if after > before+16<<20 {
		t.Errorf("heap grew by %d KiB from 10,000 to %d entries", (after-before)>>10, total)
	}
	if got := callString(t, k, "big", "get", float64(total-1)); got != "v"+itoa(total-1) {
		t.Errorf("get = %q", got)
	}
	_, keys := call(t, k, "big", "firstKeys", 3.0)
	if capdata.Format(keys) != "[0,1,2]" {
		t.Errorf("firstKeys = %s", capdata.Format(keys))
	}

	if _, keys := call(t, k, "big", "range", float64(total-3), float64(total+5)); capdata.Format(keys) != fmt.Sprintf("[%d,%d,%d]", total-3, total-2, total-1) {
		t.Errorf("range = %s", capdata.Format(keys))
	}

	// Upgrade to the same code: the map stays, the transcript restarts.
	upgradeStatic(t, k, "big", filepath.Join("testdata", "js", "bigmap.js"))
	if err := k.Commit(); err != nil {
		t.Fatal(err)
	}
	k.Close()
	replayed := map[vat.ID]uint64{}
	var err error
	k, err = cooper.Open(dir, cooper.Options{Observer: func(e kernel.Event) {
		if e.Type == kernel.EventReplayFinish {
			replayed[e.VatID] = e.Deliveries
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	big, err := k.FindVat("big")
	if err != nil {
		t.Fatal(err)
	}
	// One delivery (its new incarnation's startVat), or none on the wasm
	// worker, which restores the snapshot it took at the clean close.
	if replayed[big] > 1 {
		t.Errorf("restart replayed %d deliveries of the big vat, want at most 1 (its new incarnation's startVat)", replayed[big])
	}
	if rejected, v := call(t, k, "big", "size"); rejected || v != float64(total) {
		t.Errorf("size after restart = %s", capdata.Format(v))
	}
}

func itoa(n int) string { return capdata.Format(float64(n)) }
