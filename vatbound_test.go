package cooper_test

import (
	"fmt"
	"testing"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/kernel/state"
	"github.com/cooper-kernel/cooper/vat"
)

// TestDefaultVatBound: with no maxVatsOnline in the config, a kernel keeps
// at most state.DefaultMaxVatsOnline wasm vats online (SwingSet's default),
// paging out the least recently used; a restart still restores every vat
// (so one that cannot come back stops it) and keeps the bound as it goes,
// and a paged-out vat answers with its state. "maxVatsOnline": 0, or
// snapshots turned off, sets no bound.
func TestDefaultVatBound(t *testing.T) {
	const n = state.DefaultMaxVatsOnline + 5
	for _, tc := range []struct {
		name, settings string
		maxOnline      int // wasm vats online after each crank
	}{
		{"default", "", state.DefaultMaxVatsOnline},
		{"no bound", `"maxVatsOnline": 0`, n + 1},
		{"no snapshots", `"snapshotInterval": 0`, n + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var k *kernel.Kernel
			most, pagedOut, restored := 0, 0, map[vat.ID]bool{}
			opts := cooper.Options{Observer: func(e kernel.Event) {
				switch e.Type {
				case kernel.EventPageOut:
					pagedOut++
				case kernel.EventReplayFinish, kernel.EventSnapshotLoad:
					restored[e.VatID] = true
				case kernel.EventCrankFinish:
					if k != nil {
						most = max(most, len(k.OnlineVats())-1) // less the Go vat-admin vat
					}
				}
			}}
			k, dir := dynKernelWith(t, tc.settings, opts)
			for i := range n {
				if got := callNumber(t, k, "bootstrap", "byCap", fmt.Sprintf("c%d", i)); got != 1 {
					t.Fatalf("c%d: first increment = %v", i, got)
				}
			}
			if most != tc.maxOnline {
				t.Fatalf("at most %d wasm vats online, want %d", most, tc.maxOnline)
			}
			if wantOut := n + 1 - tc.maxOnline; pagedOut < wantOut {
				t.Fatalf("%d page-outs, want at least %d", pagedOut, wantOut)
			}
			if err := k.Commit(); err != nil {
				t.Fatal(err)
			}
			k.Close()

			k, most = nil, 0
			clear(restored)
			k2, err := cooper.Open(dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			k = k2
			defer k.Close()
			if len(restored) != n+2 { // the counters, bootstrap and vat-admin
				t.Fatalf("the restart restored %d vats, want every one of %d", len(restored), n+2)
			}
			if online := len(k.OnlineVats()) - 1; online > tc.maxOnline {
				t.Fatalf("%d wasm vats online after the restart, want at most %d", online, tc.maxOnline)
			}
			// c0 was the first paged out (and, at the restart, one of the first).
			if got := capdata.Format(must(call(t, k, "bootstrap", "bump", "c0"))); got != `"fulfilled: 2"` {
				t.Fatalf("c0 after the restart: %s", got)
			}
			if most > tc.maxOnline {
				t.Fatalf("%d wasm vats online after a crank, want at most %d", most, tc.maxOnline)
			}
		})
	}
}

// must returns v if the call was not rejected.
func must(rejected bool, v capdata.Value) capdata.Value {
	if rejected {
		return capdata.Format(v) + " (rejected)"
	}
	return v
}
