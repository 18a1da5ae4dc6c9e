package cooper_test

import (
	"path/filepath"
	"testing"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/bundle"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/vat"
)

// TestUpgradeBoundsReplay: after an upgrade, a restart replays only the new
// incarnation's deliveries (the old span stays stored), so restart cost no
// longer grows with the history before the upgrade.
func TestUpgradeBoundsReplay(t *testing.T) {
	dir := t.TempDir()
	vats := filepath.Join("kernel", "testdata", "vats", "upgrade")
	cfg, err := cooper.ReadConfig(filepath.Join(vats, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
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
	bd, err := bundle.Build(filepath.Join(vats, "counter-v2.js"))
	if err != nil {
		t.Fatal(err)
	}
	id, err := k.InstallBundle(bd.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	kp, err := k.UpgradeStaticVat("counter", id, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Run(kernel.UntilEmpty()); err != nil {
		t.Fatal(err)
	}
	if rejected, v, err := k.KPResolution(kp); err != nil || rejected {
		t.Fatalf("upgrade: rejected=%v %v %v", rejected, v, err)
	}
	for range 2 {
		call(t, k, "counter", "incr")
	}
	counter, err := k.FindVat("counter")
	if err != nil {
		t.Fatal(err)
	}
	stored := k.Store().TranscriptLength(string(counter))
	if err := k.Commit(); err != nil {
		t.Fatal(err)
	}
	k.Close()

	replayed := map[vat.ID]uint64{}
	k, err = cooper.Open(dir, cooper.Options{Observer: func(e kernel.Event) {
		if e.Type == "replay-finish" {
			replayed[e.VatID] = e.Deliveries
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	// startVat of incarnation 1 and two increments; 1 + 30 deliveries of
	// incarnation 0 stay in the transcript but are not replayed.
	if replayed[counter] != 3 || stored != 34 {
		t.Fatalf("replayed %d of %d stored deliveries, want 3 of 34", replayed[counter], stored)
	}
	if _, v := call(t, k, "counter", "incr"); v != float64(60) {
		t.Fatalf("incr after restart = %v, want 60 (30 from v1, then 3×10 from v2, all in the baggage)", v)
	}
}
