package cooper_test

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/store"
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
	case kernel.EventReplayFinish:
		r.replayed[e.VatID] += e.Deliveries
	case kernel.EventSnapshotLoad:
		r.loaded[e.VatID] = e.DeliveryNum
	case kernel.EventSnapshot:
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

// closeWithoutSnapshots closes k the way a crash would leave it: an
// uncommitted block keeps Close from snapshotting.
func closeWithoutSnapshots(t *testing.T, k *kernel.Kernel) {
	t.Helper()
	if _, err := k.QueueToVatRoot("a", "get", nil); err != nil {
		t.Fatal(err)
	}
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
}

// snapshotKernel makes the snapshot scenario's kernel with settings and
// drives a with n increments, committed; it returns the kernel, open.
func snapshotKernel(t *testing.T, dir, settings string, r *snapRecorder, n int) *kernel.Kernel {
	t.Helper()
	k := jsKernel(t, dir, snapConfig(settings), r.options(nil))
	snapCalls(t, k, repeat(n, "a.incr")...)
	if err := k.Commit(); err != nil {
		t.Fatal(err)
	}
	return k
}

// TestSnapshotRestartReplaysOnlySpan: after many deliveries, a restart
// loads each wasm vat's last periodic snapshot and replays only the
// deliveries since it; with pruneTranscripts the older entries are gone,
// the restart still works and a full replay is refused with a clear error.
func TestSnapshotRestartReplaysOnlySpan(t *testing.T) {
	for _, prune := range []bool{false, true} {
		t.Run(fmt.Sprintf("prune=%v", prune), func(t *testing.T) {
			dir := t.TempDir()
			settings := `"snapshotInterval": 10`
			if prune {
				settings += `, "pruneTranscripts": true`
			}
			r := newSnapRecorder()
			k := snapshotKernel(t, dir, settings, r, 47)
			id, _ := k.FindVat("a")
			length := k.Store().TranscriptLength(string(id))
			closeWithoutSnapshots(t, k)

			r = newSnapRecorder()
			k, err := cooper.Open(dir, r.options(nil))
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			pos := r.loaded[id]
			if pos == 0 || pos%10 != 0 || length-pos >= 10 || r.replayed[id] != length-pos {
				t.Fatalf("transcript of %d: loaded the snapshot at %d, replayed %d", length, pos, r.replayed[id])
			}
			if first := k.Store().TranscriptFirst(string(id)); prune != (first == pos-1) || !prune && first != 0 {
				t.Fatalf("first transcript entry %d (snapshot at %d, prune %v)", first, pos, prune)
			}
			if n := callNumber(t, k, "a", "incr"); n != 48 {
				t.Fatalf("a.incr after restart = %v", n)
			}
			if err := k.Commit(); err != nil {
				t.Fatal(err)
			}
			k.Close()

			// cooper replay: from the snapshot, and --full from the start.
			for _, full := range []bool{false, true} {
				var results []kernel.VerifyResult
				ok, err := cooper.Verify(dir, cooper.Options{JSWorker: "wasm", FullReplay: full}, []vat.ID{id}, func(r kernel.VerifyResult) { results = append(results, r) })
				if err != nil {
					t.Fatal(err)
				}
				if full && prune {
					if ok || results[0].Err == nil || !strings.Contains(results[0].Err.Error(), "pruned") {
						t.Fatalf("full replay of a pruned transcript: ok=%v %+v", ok, results)
					}
					continue
				}
				if !ok || len(results) != 1 || results[0].Err != nil {
					t.Fatalf("verify (full=%v): ok=%v %+v", full, ok, results)
				}
				if want := length + 1 - results[0].From; results[0].Deliveries != want || full != (results[0].From == 0) {
					t.Fatalf("verify (full=%v) replayed %d from %d, want %d", full, results[0].Deliveries, results[0].From, want)
				}
			}
		})
	}
}

// replaceSnapshot overwrites vat id's snapshot in the kernel in dir
// through the store: with data, or with its own bytes under build.
func replaceSnapshot(t *testing.T, dir string, id vat.ID, build string, data []byte) {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, kernel.DBName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	info, old, ok, err := st.LoadSnapshot(string(id))
	if err != nil || !ok {
		t.Fatalf("load snapshot of %s: %v %v", id, ok, err)
	}
	if build == "" {
		build = info.Build
	}
	if data == nil {
		data = old
	}
	st.SaveSnapshot(string(id), info.Pos, build, data)
	if err := st.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotUnusable: a snapshot of another build, or one that does not
// decode, is never loaded: the restart replays the whole transcript and
// logs a warning naming the vat; if that transcript is pruned, the restart
// fails with an error naming the vat (never a panic).
func TestSnapshotUnusable(t *testing.T) {
	for _, tc := range []struct {
		name, build string
		data        []byte
		warning     string
	}{
		{name: "other build", build: "wasm-0123456789abcdef", warning: "heap snapshot of a different build"},
		{name: "garbage", data: []byte("not a snapshot"), warning: "bad magic"},
		{name: "bad state", data: append([]byte("CWASMVAT\x01\x00\x00\x00\x02\x00\x00\x00{}"), make([]byte, 64)...), warning: "malformed"},
	} {
		for _, prune := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s prune=%v", tc.name, prune), func(t *testing.T) {
				dir := t.TempDir()
				settings := `"snapshotInterval": 5`
				if prune {
					settings += `, "pruneTranscripts": true`
				}
				k := snapshotKernel(t, dir, settings, newSnapRecorder(), 12)
				id, _ := k.FindVat("a")
				k.Close()
				replaceSnapshot(t, dir, id, tc.build, tc.data)

				r := newSnapRecorder()
				var log bytes.Buffer
				k, err := cooper.Open(dir, r.options(&log))
				if prune {
					if err == nil {
						k.Close()
						t.Fatal("restart from an unusable snapshot and a pruned transcript succeeded")
					}
					if want := fmt.Sprintf("cannot restore %s (a): snapshot at delivery", id); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "pruned") {
						t.Fatalf("error %q, want %q … pruned", err, want)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				defer k.Close()
				if _, loaded := r.loaded[id]; loaded || r.replayed[id] != k.Store().TranscriptLength(string(id)) {
					t.Fatalf("loaded %v, replayed %d", r.loaded, r.replayed[id])
				}
				if w := log.String(); !strings.Contains(w, "level=WARN") || !strings.Contains(w, "vat="+string(id)) || !strings.Contains(w, tc.warning) {
					t.Fatalf("warning %q, want one naming %s with %q", w, id, tc.warning)
				}
				if n := callNumber(t, k, "a", "incr"); n != 13 {
					t.Fatalf("a.incr = %v", n)
				}
			})
		}
	}
}

// TestSnapshotDeterminism: two kernels doing the same work take the same
// snapshots (same content hashes at the same positions) and end with the
// same activity hash as a kernel that takes none.
func TestSnapshotDeterminism(t *testing.T) {
	var infos []string
	var hashes []string
	for _, settings := range []string{`"snapshotInterval": 4`, `"snapshotInterval": 4`, `"snapshotInterval": 0`} {
		dir := t.TempDir()
		out, k := runSnapScenario(t, dir, settings, newSnapRecorder(), cooper.Options{JSWorker: "wasm"})
		var b strings.Builder
		for _, v := range k.Store().SnapshotVats() {
			info, _ := k.Store().Snapshot(v)
			fmt.Fprintf(&b, "%s@%d %s\n", v, info.Pos, info.Hash)
		}
		infos = append(infos, b.String())
		hashes = append(hashes, k.Store().ActivityHash()+"\n"+transcriptHashes(k)+out)
		k.Close()
	}
	if infos[0] != infos[1] || infos[0] == "" || infos[2] != "" {
		t.Fatalf("snapshots differ:\n%s\n%s\nnone: %s", infos[0], infos[1], infos[2])
	}
	if hashes[0] != hashes[1] || hashes[0] != hashes[2] {
		t.Fatalf("kernels differ:\n%s\n%s\n%s", hashes[0], hashes[1], hashes[2])
	}
}

// TestSnapshotCrashChild is the process TestSnapshotKill kills: it bumps
// vat a forever (a snapshot every other delivery), committing every 3
// increments and reporting each commit.
func TestSnapshotCrashChild(t *testing.T) {
	dir := os.Getenv("COOPER_SNAPSHOT_CRASH_DIR")
	if dir == "" {
		t.Skip("run by TestSnapshotKill")
	}
	k, err := cooper.Open(dir, cooper.Options{JSWorker: "wasm"})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for {
		var n float64
		for range 3 {
			n = callNumber(t, k, "a", "incr")
		}
		if err := k.Commit(); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("committed", n)
	}
}

// TestSnapshotKill: a kernel killed with SIGKILL while it snapshots comes
// back from its last commit, each vat from a whole snapshot (the old or
// the new one), and replays the same way with or without it.
func TestSnapshotKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	dir := t.TempDir()
	k := snapshotKernel(t, dir, `"snapshotInterval": 2`, newSnapRecorder(), 1)
	id, _ := k.FindVat("a")
	k.Close()
	for round := 0; round < 2; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSnapshotCrashChild$", "-test.v")
		cmd.Env = append(os.Environ(), "COOPER_SNAPSHOT_CRASH_DIR="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		last, seen := 0, 0
		sc := bufio.NewScanner(out)
		for seen < 4+round && sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "error") {
				cmd.Process.Kill()
				t.Fatalf("child: %s", line)
			}
			if n, ok := strings.CutPrefix(line, "committed "); ok {
				last, _ = strconv.Atoi(n)
				seen++
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		r := newSnapRecorder()
		k, err := cooper.Open(dir, r.options(nil))
		if err != nil {
			t.Fatalf("reopen after SIGKILL: %v", err)
		}
		if _, ok := r.loaded[id]; !ok {
			t.Fatalf("round %d: no snapshot loaded for %s", round, id)
		}
		n := int(callNumber(t, k, "a", "get"))
		if n != last && n != last+3 {
			t.Fatalf("round %d: counter %d after a crash; last reported commit %d", round, n, last)
		}
		if err := k.Close(); err != nil {
			t.Fatal(err)
		}
		for _, full := range []bool{false, true} {
			ok, err := cooper.Verify(dir, cooper.Options{JSWorker: "wasm", FullReplay: full}, nil, func(r kernel.VerifyResult) {
				if r.Err != nil {
					t.Errorf("round %d full=%v: %s: %v", round, full, r.Vat, r.Err)
				}
			})
			if err != nil || !ok {
				t.Fatalf("round %d: verify full=%v: %v %v", round, full, ok, err)
			}
		}
	}
}

// TestLazyVatLoading: with maxVatsOnline 1, a restart brings no JS vat
// online, a call brings back only the vats it reaches, and after every
// crank at most one JS vat is online, the others paged out to their
// snapshots; the kernel does exactly what an eager one does.
func TestLazyVatLoading(t *testing.T) {
	eager := newSnapRecorder()
	wantOut, ke := runSnapScenario(t, t.TempDir(), `"snapshotInterval": 3`, eager, eager.options(nil))
	defer ke.Close()

	dir := t.TempDir()
	lazy := newSnapRecorder()
	pagedOut := 0
	opts := lazy.options(nil)
	var k *kernel.Kernel
	opts.Observer = func(e kernel.Event) {
		lazy.observe(e)
		switch e.Type {
		case kernel.EventPageOut:
			pagedOut++
		case kernel.EventCrankFinish:
			if k != nil && len(k.OnlineVats()) > 2 { // one JS vat and the Go vat-admin vat
				t.Errorf("after crank %d: online %v", e.CrankNum, k.OnlineVats())
			}
		}
	}
	k = jsKernel(t, dir, snapConfig(`"snapshotInterval": 3, "maxVatsOnline": 1`), opts)
	out := snapCalls(t, k, snapPhase1...)
	if err := k.Commit(); err != nil {
		t.Fatal(err)
	}
	k.Close()
	k, err := cooper.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	admin, _ := k.FindVat("vatAdmin")
	if online := k.OnlineVats(); len(online) != 1 || online[0] != admin {
		t.Fatalf("online after restart: %v", online)
	}
	out += "-- restart --\n" + snapCalls(t, k, snapPhase2...)
	if err := k.Commit(); err != nil {
		t.Fatal(err)
	}
	if out != wantOut {
		t.Fatalf("lazy kernel:\n%s\neager kernel:\n%s", out, wantOut)
	}
	if a, b := k.Store().ActivityHash(), ke.Store().ActivityHash(); a != b {
		t.Fatalf("activity hash %s lazy, %s eager", a, b)
	}
	if a, b := transcriptHashes(k), transcriptHashes(ke); a != b {
		t.Fatalf("transcripts differ:\n%s\n%s", a, b)
	}
	if pagedOut < 10 {
		t.Fatalf("only %d page-outs", pagedOut)
	}
}

// TestLazyVatUnusableSnapshot: a lazily loaded vat whose snapshot turns out
// unusable is replayed in full when it comes online; if its transcript is
// pruned, the crank that needs it stops the kernel with an error naming
// the vat (no Go panic escapes).
func TestLazyVatUnusableSnapshot(t *testing.T) {
	for _, prune := range []bool{false, true} {
		t.Run(fmt.Sprintf("prune=%v", prune), func(t *testing.T) {
			dir := t.TempDir()
			settings := `"snapshotInterval": 5, "maxVatsOnline": 1`
			if prune {
				settings += `, "pruneTranscripts": true`
			}
			k := snapshotKernel(t, dir, settings, newSnapRecorder(), 12)
			id, _ := k.FindVat("a")
			k.Close()
			replaceSnapshot(t, dir, id, "", []byte("not a snapshot"))
			var log bytes.Buffer
			k, err := cooper.Open(dir, newSnapRecorder().options(&log))
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			_, err = k.QueueToVatRoot("a", "incr", nil)
			if err == nil {
				_, err = k.Run(kernel.UntilEmpty())
			}
			if prune {
				if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("bring %s online: cannot restore %s (a): snapshot at delivery", id, id)) {
					t.Fatalf("run: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(log.String(), "vat="+string(id)) {
				t.Fatalf("no warning naming %s: %s", id, log.String())
			}
			if n := callNumber(t, k, "a", "get"); n != 13 {
				t.Fatalf("a.get = %v", n)
			}
		})
	}
}
