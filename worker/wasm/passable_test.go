package wasm_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper/bundle"
	"github.com/cooper-kernel/cooper/vat"
	"github.com/cooper-kernel/cooper/worker/js"
	"github.com/cooper-kernel/cooper/worker/wasm"
)

// passCases are values for the passable checks, one JS expression each
// (evaluated afresh at every use), with every rule passable.js applies
// and every way a value can fail it: the glue encodes them in one walk
// since metering version 3, version 2 and goja with passable.js's
// snapshot and a second pass.
var passCases = []string{
	`harden({ a: 1, b: 'x', c: [1, 2, { d: null }], e: true })`,
	`harden({ 10: 'a', 9: 'b', x: 1, '': 2 })`,
	`harden(JSON.parse('{"__proto__": 1, "a": [2]}'))`,
	`harden(['q"uote', 'back\\slash', 'nl\n', '\u0001', '\u2028', '\ud800', 'x\udc00y', 'é😀'])`,
	`harden({ 'k"': 1, 'k\n': 2, '\ud800': 3 })`,
	`harden([1n, -5n, -0, NaN, Infinity, -Infinity, undefined, null, 0.5, 1e300])`,
	`harden([Symbol.iterator, Symbol.asyncIterator])`,
	`Symbol.toPrimitive`,
	`Symbol('mine')`,
	`harden([1, Symbol('first'), Symbol('second')])`,
	`harden([Symbol('s'), function later() {}])`,
	`harden([Symbol('s'), Far('f', {})])`,
	`harden([1, , 3])`,
	`(() => { const a = [1, 2]; a.x = 1; return harden(a); })()`,
	`harden(Object.defineProperty({}, 'g', { get: () => 1, enumerable: true }))`,
	`harden(Object.defineProperty({ a: 1 }, 'h', { value: 1 }))`,
	`harden({ [Symbol('s')]: 1 })`,
	`harden({ [Symbol.iterator]: 1 })`,
	`harden(new (class K {})())`,
	`harden(Object.create(null))`,
	`harden(Object.setPrototypeOf([1], Object.prototype))`,
	`harden(new Map())`,
	`harden({ then() {} })`,
	`harden({ then: 1 })`,
	`harden({ a: 1, f() {} })`,
	`harden({ a: [{ b: { f() {} } }] })`,
	`(function helper() {})`,
	`harden([() => 1])`,
	`(() => { const a = []; a.push(a); return harden(a); })()`,
	`(() => { const o = { x: 1 }; return harden([o, o, { o }]); })()`,
	`(() => { let v = 1; for (let i = 0; i < 199; i += 1) v = [v]; return harden(v); })()`,
	`(() => { let v = 1; for (let i = 0; i < 200; i += 1) v = [v]; return harden(v); })()`,
	`(() => { let v = 1; for (let i = 0; i < 201; i += 1) v = [v]; return harden(v); })()`,
	`harden(TypeError('typed'))`,
	`(() => { const e = Error('m'); Object.defineProperty(e, 'name', { value: 'Custom' }); return harden(e); })()`,
	`(() => { const e = RangeError(); return harden(e); })()`,
	`(() => { const e = Error('m'); Object.defineProperty(e, 'message', { get: () => 'x' }); return harden(e); })()`,
	`harden({ e: [URIError('deep')] })`,
	`makeTagged('tag', harden([1, { a: 2 }]))`,
	`makeTagged('bad', harden([() => 1]))`,
	`harden({ p: peer, f: far, q: Promise.resolve(1) })`,
	`harden([far, far, peer, peer, Far('new', {}), Far('new2', {})])`,
	`harden([Far('fresh', {}), () => 2])`,
	`harden([Far('fresh', {}), Symbol('late')])`,
	`Far('alone', {})`,
	`harden({ r: makeTagged('t', harden({ x: [far] })) })`,
	`logged('rec', { a: 1, b: [2] })`,
	`logged('arr', [1, { c: 3 }])`,
	`harden([logged('inner', { z: 1 })])`,
	`new Proxy({}, { ownKeys: () => { throw Error('ownKeys trap'); } })`,
	`flaky('throws on the second walk', 2, Error('late trap'))`,
	`flaky('throws a string', 2, 'a string')`,
	`flaky('throws at once', 1, Error('early trap'))`,
	`flaky('third', 3, Error('third trap'))`,
	`flaky('fourth', 4, Error('fourth trap'))`,
	`flaky('fifth', 5, Error('fifth trap'))`,
	`harden([1, flaky('nested', 4, Error('nested trap'))])`,
	`(() => { const t = new Uint8Array(1); try { harden(t); } catch (e) {} return harden({ t }); })()`,
	`(() => { const t = new Uint8Array(1); try { harden(t); } catch (e) {} return harden([t]); })()`,
	`harden({ a: Object.freeze([1, { b: 2 }]), c: Object.freeze({ d: [] }) })`,
	`harden([[], {}, [[]], [{}], { x: [] }])`,
	`harden(Object.defineProperty([1, 2], 0, { value: 1, enumerable: false }))`,
	`harden(Object.defineProperty([1, 2], 1, { get: () => 2, enumerable: true }))`,
	`(() => { const a = [1, 2, 3]; a.length = 5; return harden(a); })()`,
	`harden({ b: 1, a: 2, 1: 3, 0: 4, [Symbol.iterator]: 5 })`,
	`harden(Object.defineProperty({ x: 1 }, 'then', { value: () => 1, enumerable: false }))`,
	`harden({ then: Far('thenFar', {}) })`,
	`harden({ then: 'str', a: [() => 1] })`,
	`harden({ a: [() => 1], then() {} })`,
}

// passSource tries each case as a send's argument (the glue's
// argsText) and as a method's result (its watch report).
const passSource = `import { Far, E, makeTagged } from '@endo/far';

const log = [];
const logged = (label, target) => harden(new Proxy(target, {
  getPrototypeOf: t => { log.push(label + ' getPrototypeOf'); return Reflect.getPrototypeOf(t); },
  ownKeys: t => { log.push(label + ' ownKeys'); return Reflect.ownKeys(t); },
  getOwnPropertyDescriptor: (t, k) => { log.push(label + ' gOPD ' + String(k)); return Reflect.getOwnPropertyDescriptor(t, k); },
  isExtensible: t => { log.push(label + ' isExtensible'); return Reflect.isExtensible(t); },
  get: (t, k, r) => { log.push(label + ' get ' + String(k)); return Reflect.get(t, k, r); },
}));
// flaky's ownKeys trap throws from its n-th call on.
const flaky = (label, n, thrown) => {
  let calls = 0;
  return new Proxy({ a: 1 }, {
    ownKeys: t => {
      calls += 1;
      log.push(label + ' ownKeys ' + calls);
      if (calls >= n) throw thrown;
      return Reflect.ownKeys(t);
    },
  });
};
const far = Far('far', { hi: () => 1 });

export function buildRootObject() {
  let peer;
  const make = i => {
    switch (i) {
` + "CASES" + `
      default: throw Error('no case ' + i);
    }
  };
  return Far('root', {
    setPeer: p => { peer = p; },
    send: i => {
      const v = make(i);
      try {
        E(peer).take(v);
        return 'sent';
      } catch (e) {
        return String(e.message);
      }
    },
    ret: i => make(i),
    log: () => harden(log.splice(0)),
  });
}
`

// passRun delivers each case to a vat of the generation meteringVersion
// names ("goja" for the goja worker) and returns the syscalls of each
// delivery, one line each.
func passRun(t *testing.T, meteringVersion string) []string {
	t.Helper()
	var cases strings.Builder
	for i, c := range passCases {
		fmt.Fprintf(&cases, "      case %d: return %s;\n", i, c)
	}
	bd, err := bundle.BuildSource("pass.js", strings.Replace(passSource, "CASES", cases.String(), 1))
	if err != nil {
		t.Fatal(err)
	}
	spec := vat.Spec{ID: "v1", Name: "p", Bundle: bd.Marshal(), DeliveryLimit: 100_000_000, MeteringVersion: meteringVersion}
	var w vat.Worker
	if meteringVersion == "goja" {
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
	p := 0
	deliver := func(what string, d vat.Delivery) {
		t.Helper()
		line = append(line[:0], what+": "...)
		if out := w.Deliver(d, sys); out.Err != "" {
			t.Fatalf("%s: %s", what, out.Err)
		}
		lines = append(lines, string(line))
	}
	msg := func(what, body string, slots ...vat.VRef) {
		p++
		deliver(what, vat.Delivery{Kind: vat.DeliverMessage, Target: "o+0", Methargs: vat.CapData{Body: "#" + body, Slots: slots}, Result: vat.VRef(fmt.Sprintf("p-%d", p))})
	}
	deliver("start", vat.Delivery{Kind: vat.DeliverStartVat, VatParameters: vat.CapData{Body: "#{}"}})
	msg("setPeer", `["setPeer",["$0.Alleged: peer"]]`, "o-1")
	for i, c := range passCases {
		msg("send "+c, fmt.Sprintf(`["send",[%d]]`, i))
		msg("log", `["log",[]]`)
		msg("ret "+c, fmt.Sprintf(`["ret",[%d]]`, i))
		msg("log", `["log",[]]`)
	}
	return lines
}

var updatePassable = flag.Bool("update-passable", false, "rewrite testdata/passable.golden from the current glue")

// TestPassableChecks: the glue's encoder passes, refuses and words its
// refusals as the glue of metering version 3 always did (passable.js's
// snapshot, then a second pass: testdata/passable.golden, recorded from
// it), and runs the same proxy traps in the same order.
func TestPassableChecks(t *testing.T) {
	got := passRun(t, "")
	golden := filepath.Join("testdata", "passable.golden")
	if *updatePassable {
		if err := os.WriteFile(golden, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("%d deliveries, %s has %d", len(got), golden, len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("delivery %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
	// The cases reach what they are for.
	all := strings.Join(want, "\n")
	for _, s := range []string{"Arrays must not have holes", "cannot be cyclic", "nested deeper than 200", "only well-known symbols",
		"non-remotable function", "non-promise thenables", "Records must inherit", "Malformed array", "non-indexes",
		"accessor property", "enumerable property", "string-named", "late trap", "a string", "early trap", "ownKeys trap",
		"Errors must not have accessor", "Custom", "fourth trap", "nested trap", "non-frozen objects", "rec gOPD", "arr ownKeys", "inner getPrototypeOf"} {
		if !strings.Contains(all, s) {
			t.Errorf("no delivery shows %q", s)
		}
	}
}
