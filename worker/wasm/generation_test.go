package wasm_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/cooper-kernel/cooper/bundle"
	"github.com/cooper-kernel/cooper/vat"
	"github.com/cooper-kernel/cooper/worker/js"
	"github.com/cooper-kernel/cooper/worker/wasm"
)

// generationSource is a vat that takes the paths of the glue a delivery can
// take: primitive, object, promise and rejected results, arguments of every
// kind, sends with and without results, notifies, baggage and a durable
// store (the vatstore), promise kits, Far objects and missing methods.
const generationSource = `import { Far, E } from '@endo/far';
import { makePromiseKit } from '@endo/promise-kit';
import { provideDurableMapStore } from '@agoric/vat-data';

export function buildRootObject(vatPowers, params, baggage) {
  let n = 0;
  let kit;
  const peers = [];
  const big = provideDurableMapStore(baggage, 'big');
  return Far('root', {
    inc: () => (n += 1),
    echo: (...args) => harden(args),
    rec: (a, b) => harden({ a, b, 10: 1, 9: [a] }),
    str: s => s + '!',
    big: x => x * 2n,
    undef: () => undefined,
    nul: () => null,
    neg0: () => -0,
    nan: () => NaN,
    sym: () => Symbol.iterator,
    throws: () => { throw Error('boom'); },
    later: async () => { await null; n += 1; return n; },
    keep: p => { peers.push(p); return peers.length; },
    ping: (p, x) => E(p).ping(x, [x], { x }),
    pingOnly: p => { E.sendOnly(p).hello(1, 'a', [2n], { k: undefined }); return 'sent'; },
    pending: () => { kit = makePromiseKit(); return kit.promise; },
    settle: v => { kit.resolve(harden([v, n])); return 'ok'; },
    fail: () => Promise.reject(TypeError('nope')),
    far: () => Far('thing', { get: () => n, peer: () => peers[0] }),
    put: (k, v) => { big.init(k, v); return big.getSize(); },
    get: k => big.get(k),
    bad: () => ({ f() {} }),
  });
}
`

// generationRun delivers a fixed script to a wasm vat of the generation
// meteringVersion names (to a goja vat if it is "goja") and returns the
// computrons of each delivery and a digest of the syscalls and the
// vatstore. With restore, the vat is snapshotted after every delivery and
// goes on from the snapshot.
func generationRun(t *testing.T, meteringVersion string, restore bool) ([]uint64, string) {
	t.Helper()
	bd, err := bundle.BuildSource("generation.js", generationSource)
	if err != nil {
		t.Fatal(err)
	}
	spec := vat.Spec{ID: "v1", Name: "g", Bundle: bd.Marshal(), DeliveryLimit: 100_000_000, MeteringVersion: meteringVersion}
	m := wasm.NewMaker(wasm.Options{})
	var w vat.Worker
	if meteringVersion == "goja" {
		js.UseUTC()
		spec.MeteringVersion = ""
		w, err = js.New(spec, js.NewPrograms())
	} else {
		w, err = m.New(spec)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer func() { w.Close() }()
	store := map[string]string{}
	digest := sha256.New()
	var lastSend vat.VRef
	sys := func(s vat.Syscall) vat.SyscallResult {
		digest.Write(vat.AppendSyscall(nil, s))
		digest.Write([]byte{'\n'})
		var r vat.SyscallResult
		switch s.Kind {
		case vat.SysSend:
			if s.Result != "" {
				lastSend = s.Result
			}
		case vat.SysVatstoreGet:
			r.Value, r.Found = store[s.Key]
		case vat.SysVatstoreSet:
			store[s.Key] = s.Value
		case vat.SysVatstoreDelete:
			delete(store, s.Key)
		case vat.SysVatstoreGetNextKey:
			keys := make([]string, 0, len(store))
			for k := range store {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if i, _ := slices.BinarySearch(keys, s.Key); i < len(keys) {
				r.Value, r.Found = keys[i], true
			}
		}
		return r
	}
	var computrons []uint64
	deliver := func(d vat.Delivery) {
		t.Helper()
		out := w.Deliver(d, sys)
		if out.Err != "" {
			t.Fatalf("delivery %d: %s", len(computrons), out.Err)
		}
		computrons = append(computrons, out.Computrons)
		if !restore {
			return
		}
		data, err := w.(*wasm.Worker).Snapshot()
		if err != nil {
			t.Fatalf("snapshot after delivery %d: %v", len(computrons)-1, err)
		}
		back, err := m.Restore(spec, data)
		if err != nil {
			t.Fatalf("restore after delivery %d: %v", len(computrons)-1, err)
		}
		w.Close()
		w = back
	}
	deliver(vat.Delivery{Kind: vat.DeliverStartVat, VatParameters: vat.CapData{Body: "#{}"}})
	p := 0
	msg := func(target vat.VRef, body string, slots ...vat.VRef) {
		p++
		deliver(vat.Delivery{Kind: vat.DeliverMessage, Target: target, Methargs: vat.CapData{Body: "#" + body, Slots: slots}, Result: vat.VRef(fmt.Sprintf("p-%d", p))})
	}
	notify := func(vpid vat.VRef, rejected bool, body string) {
		deliver(vat.Delivery{Kind: vat.DeliverNotify, Resolutions: []vat.Resolution{{VPID: vpid, Rejected: rejected, Data: vat.CapData{Body: "#" + body}}}})
	}
	for range 3 {
		msg("o+0", `["inc",[]]`)
	}
	msg("o+0", `["echo",[1,"a",[true,null],{"x":1},"+7","#undefined"]]`)
	msg("o+0", `["rec",["x",{"y":[2]}]]`)
	msg("o+0", `["str",["hi"]]`)
	msg("o+0", `["big",["+21"]]`)
	for _, m := range []string{"undef", "nul", "neg0", "nan", "sym", "throws", "later", "fail", "bad", "missing"} {
		msg("o+0", `["`+m+`",[]]`)
	}
	msg("o+0", `["keep",["$0.Alleged: peer"]]`, "o-1")
	msg("o+0", `["ping",["$0.Alleged: peer",5]]`, "o-1")
	notify(lastSend, false, `6`)
	msg("o+0", `["ping",["$0.Alleged: peer",7]]`, "o-1")
	notify(lastSend, true, `{"#error":"no","name":"Error"}`)
	msg("o+0", `["pingOnly",["$0.Alleged: peer"]]`, "o-1")
	msg("o+0", `["pending",[]]`)
	msg("o+0", `["settle",["v"]]`)
	msg("o+0", `["far",[]]`)
	msg("o+1", `["get",[]]`)
	msg("o+1", `["peer",[]]`)
	msg("o+0", `["put",["k1","$0.Alleged: peer"]]`, "o-1")
	msg("o+0", `["put",["k2",[1,2]]]`)
	msg("o+0", `["get",["k1"]]`)
	msg("o+0", `["get",["k2"]]`)
	for range 3 {
		msg("o+0", `["inc",[]]`)
	}
	keys := make([]string, 0, len(store))
	for k := range store {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(digest, "%q=%q\n", k, store[k])
	}
	return computrons, hex.EncodeToString(digest.Sum(nil))
}

// The computrons and syscalls of the script under metering version 2, as
// the binary before version 3 recorded them.
var (
	v2Computrons = []uint64{49787, 1762, 1764, 1760, 8641, 7786, 1976, 2106, 1792, 1783, 1865, 1846, 1882, 2979, 2005, 3001, 4443, 5409,
		2657, 6459, 877, 6444, 2444, 6998, 3060, 3960, 3930, 1796, 1941, 11747, 7264, 3762, 5079, 1803, 1789, 1792}
	v2Digest = "52544ba77feba005f3bd7f921cc25a8c75d8ba7d1d73e84efb45fa2ee628102e"
)

// gojaComputrons are the goja worker's for the script (cooper-meter-v1).
var gojaComputrons = []uint64{21, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 53, 8, 51, 31, 1, 1, 1}

const meteringV2 = "cooper-wasm-2 (100 fuel/computron, quickjs-ng v0.15.1, wasmfuel-1, module 0)"

// TestGenerationV2 replays a vat recorded under metering version 2: it
// must burn exactly the computrons it burned then, and make the same
// syscalls; a new vat (the current generation) makes the same syscalls
// (as the goja worker does) for fewer computrons.
func TestGenerationV2(t *testing.T) {
	got, digest := generationRun(t, meteringV2, false)
	t.Logf("v2 computrons %v digest %s", got, digest)
	if !slices.Equal(got, v2Computrons) || digest != v2Digest {
		t.Errorf("version 2 vat: computrons %v, digest %s; recorded %v, %s", got, digest, v2Computrons, v2Digest)
	}
	cur, curDigest := generationRun(t, "", false)
	if curDigest != digest {
		t.Errorf("the current generation makes other syscalls than version 2 (digest %s, want %s)", curDigest, digest)
	}
	// The prelude and the passable checks are goja's too: an edit for wasm
	// must not change goja's computrons (cooper-meter-v1) either.
	if goja, gojaDigest := generationRun(t, "goja", false); gojaDigest != digest || !slices.Equal(goja, gojaComputrons) {
		t.Errorf("the goja worker: digest %s, computrons %v; want %s, %v", gojaDigest, goja, digest, gojaComputrons)
	}
	var sumV2, sumCur uint64
	for i := range cur {
		sumV2 += got[i]
		sumCur += cur[i]
	}
	t.Logf("current computrons %v (%d in all, version 2: %d)", cur, sumCur, sumV2)
	if sumCur >= sumV2 {
		t.Errorf("the current generation burns %d computrons, version 2 %d", sumCur, sumV2)
	}
}

// TestGenerationSnapshots restores a vat from its snapshot after every
// delivery: it must go on as the vat that was never stopped, in every
// generation.
func TestGenerationSnapshots(t *testing.T) {
	for _, mv := range []string{meteringV2, ""} {
		want, wantDigest := generationRun(t, mv, false)
		got, digest := generationRun(t, mv, true)
		if !slices.Equal(got, want) || digest != wantDigest {
			t.Errorf("metering %q: restored every delivery: computrons %v, digest %s; straight %v, %s", mv, got, digest, want, wantDigest)
		}
	}
}
