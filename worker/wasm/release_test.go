package wasm_test

import (
	"fmt"
	"testing"

	"github.com/cooper-kernel/cooper/bundle"
	"github.com/cooper-kernel/cooper/vat"
	"github.com/cooper-kernel/cooper/worker/js"
	"github.com/cooper-kernel/cooper/worker/wasm"
)

// reuseSource hands Go the same objects again and again, across many
// deliveries: handles Go let go of wait in a batch before the glue forgets
// them, and one the glue names again in the meantime is Go's again.
const reuseSource = `import { Far, E } from '@endo/far';
const settled = Promise.resolve('done');
const pending = new Promise(() => {});
const odd = { notHardened: true };
const thing = Far('thing', { get: () => 1 });
export function buildRootObject() {
  let peer;
  let n = 0;
  return Far('root', {
    setPeer: p => { peer = p; },
    settled: () => settled,
    pending: () => pending,
    odd: () => odd,
    thing: () => thing,
    send: () => { E(peer).take(settled, pending, thing); n += 1; return n; },
  });
}
`

// reuseRun delivers the script to a vat of the engine ("goja" or a wasm
// metering version) and returns each delivery's syscalls.
func reuseRun(t *testing.T, engine string) []string {
	t.Helper()
	bd, err := bundle.BuildSource("reuse.js", reuseSource)
	if err != nil {
		t.Fatal(err)
	}
	spec := vat.Spec{ID: "v1", Name: "r", Bundle: bd.Marshal(), DeliveryLimit: 100_000_000, MeteringVersion: engine}
	var w vat.Worker
	if engine == "goja" {
		js.UseUTC()
		spec.MeteringVersion = ""
		w, err = js.New(spec, js.NewPrograms())
	} else {
		w, err = wasm.NewMaker(wasm.Options{}).New(spec)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var lines []string
	var line []byte
	sys := func(s vat.Syscall) vat.SyscallResult {
		line = vat.AppendSyscall(line, s)
		return vat.SyscallResult{}
	}
	deliver := func(d vat.Delivery) {
		t.Helper()
		line = line[:0]
		if out := w.Deliver(d, sys); out.Err != "" {
			t.Fatalf("delivery %d: %s", len(lines), out.Err)
		}
		lines = append(lines, string(line))
	}
	deliver(vat.Delivery{Kind: vat.DeliverStartVat, VatParameters: vat.CapData{Body: "#{}"}})
	p := 0
	msg := func(body string, slots ...vat.VRef) {
		p++
		deliver(vat.Delivery{Kind: vat.DeliverMessage, Target: "o+0", Methargs: vat.CapData{Body: "#" + body, Slots: slots}, Result: vat.VRef(fmt.Sprintf("p-%d", p))})
	}
	msg(`["setPeer",["$0.Alleged: peer"]]`, "o-1")
	for i := 0; i < 40; i++ {
		for _, m := range []string{"settled", "pending", "odd", "thing", "send"} {
			msg(`["` + m + `",[]]`)
		}
	}
	return lines
}

// TestReleaseBatch: a vat that names the same objects in many deliveries
// makes the syscalls the goja worker makes while its handles wait for
// release, are released, and come back.
func TestReleaseBatch(t *testing.T) {
	want := reuseRun(t, "goja")
	got := reuseRun(t, "")
	if len(got) != len(want) {
		t.Fatalf("%d deliveries, goja %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("delivery %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}
