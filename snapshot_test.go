package cooper_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/vat"
)

// snapConfig is two wasm JS vats that await each other's promises, with
// the given snapshot settings ("" for the defaults).
func snapConfig(settings string) string {
	if settings != "" {
		settings += ","
	}
	return `{"bootstrap": "boot", ` + settings + ` "vats": {
	  "boot": {"sourceSpec": "snapboot.js"}, "a": {"sourceSpec": "snapvat.js"}, "b": {"sourceSpec": "snapvat.js"}}}`
}

// snapRecorder counts what restarts did, per vat.
type snapRecorder struct {
	replayed map[vat.ID]uint64
	loaded   map[vat.ID]uint64 // snapshot position loaded
	taken    int
}

func newSnapRecorder() *snapRecorder {
	return &snapRecorder{replayed: map[vat.ID]uint64{}, loaded: map[vat.ID]uint64{}}
}

func (r *snapRecorder) observe(e kernel.Event) {
	switch e.Type {
	case "replay-finish":
		r.replayed[e.VatID] += e.Deliveries
	case "snapshot-load":
		r.loaded[e.VatID] = e.DeliveryNum
	case "snapshot":
		r.taken++
	}
}

func (r *snapRecorder) options(log *bytes.Buffer) cooper.Options {
	o := cooper.Options{JSWorker: "wasm", Observer: r.observe}
	if log != nil {
		o.Logger = slog.New(slog.NewTextHandler(log, nil))
	}
	return o
}

// snapCalls runs calls ("vat.method arg…") and returns their results, one per line.
func snapCalls(t *testing.T, k *kernel.Kernel, calls ...string) string {
	t.Helper()
	var out strings.Builder
	for _, c := range calls {
		f := strings.Fields(c)
		target, method, _ := strings.Cut(f[0], ".")
		var args []capdata.Value
		for _, a := range f[1:] {
			var n float64
			if _, err := fmt.Sscan(a, &n); err == nil {
				args = append(args, n)
			} else {
				args = append(args, a)
			}
		}
		kp, err := k.QueueToVatRoot(target, method, args)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := k.Run(kernel.UntilEmpty()); err != nil {
			t.Fatal(err)
		}
		rejected, v, err := k.KPResolution(kp)
		if err != nil { // unresolved: the host keeps holding it
			fmt.Fprintf(&out, "%s -> %s pending\n", c, kp)
			continue
		}
		if err := k.ReleaseKP(kp); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "%s -> %v %s\n", c, rejected, capdata.Format(v))
	}
	return out.String()
}

func repeat(n int, call string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = call
	}
	return out
}

// snapPhase1 leaves promises pending across the restart: a awaits a
// promise b decides, and a keeps an exported object.
var snapPhase1 = append(append(repeat(7, "a.incr"), "a.waitPeer", "a.makeThing 1", "b.later"), repeat(5, "b.incr")...)

// snapPhase2 settles them after the restart.
var snapPhase2 = append([]string{"a.releasePeer x", "a.log", "a.thingCount 0", "b.get"}, repeat(4, "a.incr")...)

// runSnapScenario makes a kernel with settings, runs phase 1, commits,
// closes, reopens it (with opts), runs phase 2 and commits. It returns the
// results and the reopened kernel.
func runSnapScenario(t *testing.T, dir, settings string, r *snapRecorder, reopen cooper.Options) (string, *kernel.Kernel) {
	t.Helper()
	k := jsKernel(t, dir, snapConfig(settings), r.options(nil))
	out := snapCalls(t, k, snapPhase1...)
	if err := k.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	k, err := cooper.Open(dir, reopen)
	if err != nil {
		t.Fatal(err)
	}
	out += "-- restart --\n" + snapCalls(t, k, snapPhase2...)
	if err := k.Commit(); err != nil {
		t.Fatal(err)
	}
	return out, k
}

// transcriptHashes returns every vat's transcript chain hash: equal hashes
// mean equal deliveries, syscalls, results and computrons.
func transcriptHashes(k *kernel.Kernel) string {
	var b strings.Builder
	for _, v := range k.Store().TranscriptVats() {
		fmt.Fprintf(&b, "%s %s\n", v, k.Store().TranscriptHash(v))
	}
	return b.String()
}

// TestSnapshotRestoreEquivalence: a kernel whose wasm vats restart from
// heap snapshots continues exactly like one that replays every transcript
// (same results, activity hash and transcripts, computrons included), and
// replays only the deliveries since each snapshot.
func TestSnapshotRestoreEquivalence(t *testing.T) {
	full := newSnapRecorder()
	wantOut, kf := runSnapScenario(t, t.TempDir(), `"snapshotInterval": 0`, full, full.options(nil))
	defer kf.Close()
	if full.taken != 0 || len(full.loaded) != 0 {
		t.Fatalf("snapshotInterval 0 took %d snapshots, loaded %v", full.taken, full.loaded)
	}

	snap := newSnapRecorder()
	var log bytes.Buffer
	gotOut, ks := runSnapScenario(t, t.TempDir(), `"snapshotInterval": 3`, snap, snap.options(&log))
	defer ks.Close()
	if gotOut != wantOut {
		t.Fatalf("results differ:\nsnapshots:\n%s\nfull replay:\n%s", gotOut, wantOut)
	}
	if a, b := ks.Store().ActivityHash(), kf.Store().ActivityHash(); a != b {
		t.Fatalf("activity hash %s with snapshots, %s without", a, b)
	}
	if a, b := transcriptHashes(ks), transcriptHashes(kf); a != b {
		t.Fatalf("transcripts differ:\n%s\n%s", a, b)
	}
	// Snapshotted at close: the restart replayed nothing of a and b.
	for _, name := range []string{"a", "b"} {
		id, _ := ks.FindVat(name)
		if _, ok := snap.loaded[id]; !ok || snap.replayed[id] != 0 {
			t.Fatalf("%s: loaded %v, replayed %d", name, snap.loaded, snap.replayed[id])
		}
		if full.replayed[id] == 0 {
			t.Fatalf("%s replayed nothing without snapshots", name)
		}
	}
	if log.Len() != 0 {
		t.Fatalf("warnings: %s", log.String())
	}
	t.Log(gotOut)
}
