package cooper_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/bundle"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/store"
	"github.com/cooper-kernel/cooper/vat"
)

// TestUpgradeBoundsReplay: after an upgrade, a restart replays only the new
// incarnation's deliveries, so restart cost no longer grows with the history
// before the upgrade. The old span stays stored unless the config says
// pruneOldIncarnations.
func TestUpgradeBoundsReplay(t *testing.T) {
	for _, prune := range []bool{false, true} {
		t.Run(fmt.Sprintf("prune=%v", prune), func(t *testing.T) { testUpgradeBoundsReplay(t, prune) })
	}
}

func testUpgradeBoundsReplay(t *testing.T, prune bool) {
	dir := t.TempDir()
	vats := filepath.Join("kernel", "testdata", "vats", "upgrade")
	cfg, err := cooper.ReadConfig(filepath.Join(vats, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.PruneOldIncarnations = prune
	k, err := cooper.Init(dir, cfg, cooper.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Run(kernel.UntilEmpty()); err != nil {
		t.Fatal(err)
	}
	for range 30 {
		call(t, k, "counter", "incr")
	}
	upgradeStatic(t, k, "counter", filepath.Join(vats, "counter-v2.js"))
	for range 2 {
		call(t, k, "counter", "incr")
	}
	counter, err := k.FindVat("counter")
	if err != nil {
		t.Fatal(err)
	}
	length := k.Store().TranscriptLength(string(counter))
	if err := k.Commit(); err != nil {
		t.Fatal(err)
	}
	k.Close()

	replayed := map[vat.ID]uint64{}
	k, err = cooper.Open(dir, cooper.Options{Observer: func(e kernel.Event) {
		if e.Type == kernel.EventReplayFinish {
			replayed[e.VatID] = e.Deliveries
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	// startVat of incarnation 1 and two increments; the 1 + 30 deliveries
	// of incarnation 0 are not replayed (and are deleted if pruned).
	stored := 0
	if err := k.Store().ReadTranscript(string(counter), 0, func(store.TranscriptEntry) error {
		stored++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	wantStored := 34
	if prune {
		wantStored = 3
	}
	// The wasm worker restores the snapshot taken at the clean close and
	// replays nothing; goja replays the new incarnation's three deliveries.
	wantReplayed := uint64(3)
	if jsEngine() == "wasm" {
		wantReplayed = 0
	}
	if replayed[counter] != wantReplayed || length != 34 || stored != wantStored {
		t.Fatalf("replayed %d, stored %d, length %d; want %d, %d, 34", replayed[counter], stored, length, wantReplayed, wantStored)
	}
	if _, v := call(t, k, "counter", "incr"); v != float64(60) {
		t.Fatalf("incr after restart = %v, want 60 (30 from v1, then 3×10 from v2, all in the baggage)", v)
	}
}

// upgradeStatic upgrades the static vat name to the module at path through
// the host API, runs until the queue is empty, and requires it to succeed.
func upgradeStatic(t *testing.T, k *kernel.Kernel, name, path string) {
	t.Helper()
	bd, err := bundle.Build(path)
	if err != nil {
		t.Fatal(err)
	}
	id, err := k.InstallBundle(bd.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	kp, err := k.UpgradeStaticVat(name, id, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Run(kernel.UntilEmpty()); err != nil {
		t.Fatal(err)
	}
	if rejected, v, err := k.KPResolution(kp); err != nil || rejected {
		t.Fatalf("upgrade %s: rejected=%v %s %v", name, rejected, capdata.Format(v), err)
	}
}
