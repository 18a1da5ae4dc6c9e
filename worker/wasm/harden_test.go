package wasm

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper/bundle"
	"github.com/cooper-kernel/cooper/vat"
)

// hardenOrderSource keeps pairs of twin promises, unhardened, each with own
// properties that hold logging proxies. mk(label) returns the "A" twin; take
// receives A twins in some structure, as decoded and hardened by the glue,
// and then builds the same structure of "B" twins as the glue of version 2
// did (plain arrays and records, makeTagged hardening the payload) and
// hardens it with the harden of version 2: the proxies must see the same
// traps in the same order.
const hardenOrderSource = `import { Far, E, makeTagged, passStyleOf } from '@endo/far';

const log = [];
const logging = (label, target = { v: 1 }) => new Proxy(target, {
  getPrototypeOf: t => { log.push(label + ' getPrototypeOf'); return Reflect.getPrototypeOf(t); },
  setPrototypeOf: (t, p) => { log.push(label + ' setPrototypeOf'); return Reflect.setPrototypeOf(t, p); },
  ownKeys: t => { log.push(label + ' ownKeys'); return Reflect.ownKeys(t); },
  getOwnPropertyDescriptor: (t, k) => { log.push(label + ' gOPD ' + String(k)); return Reflect.getOwnPropertyDescriptor(t, k); },
  preventExtensions: t => { log.push(label + ' preventExtensions'); return Reflect.preventExtensions(t); },
  defineProperty: (t, k, d) => { log.push(label + ' defineProperty ' + String(k)); return Reflect.defineProperty(t, k, d); },
  isExtensible: t => { log.push(label + ' isExtensible'); return Reflect.isExtensible(t); },
  has: (t, k) => { log.push(label + ' has ' + String(k)); return Reflect.has(t, k); },
  get: (t, k, r) => { log.push(label + ' get ' + String(k)); return Reflect.get(t, k, r); },
});
const pending = label => {
  const p = new Promise(() => {});
  p.x = logging(label + '.x');
  Object.defineProperty(p, 'g', { get: () => 1, enumerable: true });
  p.y = { z: logging(label + '.y.z'), w: [logging(label + '.y.w')] };
  return p;
};

// The harden of version 2, on a set of its own (it walks the intrinsics
// again, which have no proxies).
const hardened2 = new WeakSet();
function harden2(root) {
  const todo = [root];
  while (todo.length > 0) {
    const v = todo.pop();
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null || hardened2.has(v)) {
      continue;
    }
    hardened2.add(v);
    Object.freeze(v);
    todo.push(Object.getPrototypeOf(v));
    const descs = Object.getOwnPropertyDescriptors(v);
    for (const k of Reflect.ownKeys(descs)) {
      const d = descs[k];
      if ('value' in d) {
        todo.push(d.value);
      } else {
        todo.push(d.get, d.set);
      }
    }
  }
  return root;
}

const twins = new Map(); // A twin → B twin
// build2 builds the B structure of a received value as version 2's dec did.
const build2 = v => {
  if (twins.has(v)) return twins.get(v);
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(build2);
  if (passStyleOf(v) === 'tagged') {
    return harden2({ [Symbol.toStringTag]: v[Symbol.toStringTag], payload: build2(v.payload) });
  }
  const out = {};
  for (const k of Reflect.ownKeys(v)) {
    Object.defineProperty(out, k, { value: build2(v[k]), writable: true, enumerable: true, configurable: true });
  }
  return out;
};

// graph is a value with proxies in every place harden() looks.
const graph = side => {
  const proto = { m() {}, get acc() { return 1; }, q: logging(side + '.proto.q') };
  const o = Object.create(proto);
  o.a = logging(side + '.a');
  o[2] = [logging(side + '.b'), { c: logging(side + '.c') }];
  o[Symbol.iterator] = logging(side + '.s');
  Object.defineProperty(o, 'g', { get: function g() {}, set: function s(v) {}, enumerable: false });
  Object.defineProperty(o, 'h', { get: logging(side + '.get', function () {}), set: logging(side + '.set', function () {}) });
  o.f = function named() {};
  o.f.extra = logging(side + '.f');
  o.arr = [1, 'x', null, logging(side + '.arr')];
  o.viaProxy = new Proxy(Object.create(logging(side + '.pp')), {});
  return o;
};
const compared = (newer, older) => {
  log.splice(0);
  newer();
  const got = log.splice(0);
  older();
  const want = log.splice(0);
  globalThis.hardenOrder = [got.join('\n'), want.join('\n')];
  return got.length;
};

export function buildRootObject() {
  return Far('root', {
    // harden itself, on values with proxies, getters and prototypes
    harden: () => compared(() => harden(graph('A')), () => harden2(graph('B'))),
    hardenProxy: () => compared(() => harden(logging('A')), () => harden2(logging('B'))),
    // E's arguments (hardenArgs)
    args: () => {
      const target = Far('t', { foo: () => 1 });
      return compared(() => E(target).foo(graph('A1'), logging('A2'), [logging('A3')]),
        () => harden2([graph('B1'), logging('B2'), [logging('B3')]]));
    },
    mk: label => {
      const a = pending('A' + label);
      twins.set(a, pending('B' + label));
      return a;
    },
    take: (...args) => {
      const got = log.splice(0);
      harden2(args.map(build2));
      const want = log.splice(0);
      globalThis.hardenOrder = [got.join('\n'), want.join('\n')];
      return got.length;
    },
  });
}
`

// TestDecodeHardensInOrder: harden, the hardening of E's arguments and
// the glue's of the objects a decoded value names run the proxy traps
// version 2 ran (with harden() of the whole value), in the same order.
func TestDecodeHardensInOrder(t *testing.T) {
	bd, err := bundle.BuildSource("order.js", hardenOrderSource)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewMaker(Options{}).New(vat.Spec{ID: "v1", Name: "o", Bundle: bd.Marshal(), DeliveryLimit: 100_000_000})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var resolved []string
	sys := func(s vat.Syscall) vat.SyscallResult {
		for _, r := range s.Resolutions {
			resolved = append(resolved, r.Data.Body)
		}
		return vat.SyscallResult{}
	}
	if out := w.Deliver(vat.Delivery{Kind: vat.DeliverStartVat, VatParameters: vat.CapData{Body: "#{}"}}, sys); out.Err != "" {
		t.Fatal(out.Err)
	}
	p := 0
	send := func(body string, slots []vat.VRef) {
		t.Helper()
		p++
		d := vat.Delivery{Kind: vat.DeliverMessage, Target: "o+0", Methargs: vat.CapData{Body: "#" + body, Slots: slots}, Result: vat.VRef(fmt.Sprintf("p-%d", p))}
		if out := w.Deliver(d, sys); out.Err != "" {
			t.Fatal(out.Err)
		}
	}
	for _, m := range []string{"harden", "hardenProxy", "args"} {
		send(`["`+m+`",[]]`, nil)
		r, err := w.in.EvalString(`JSON.stringify(globalThis.hardenOrder)`)
		if err != nil {
			t.Fatal(err)
		}
		var logs []string
		if err := json.Unmarshal([]byte(r), &logs); err != nil || len(logs) != 2 {
			t.Fatalf("%s: log %q: %v", m, r, err)
		}
		if got, want := strings.ReplaceAll(logs[0], "A", "B"), logs[1]; got != want || !strings.Contains(want, "ownKeys") {
			t.Errorf("%s: the prelude's harden ran\n%s\nversion 2's ran\n%s", m, got, want)
		}
	}
	for i, args := range []string{
		`["&0","&1"]`,
		`[["&0",{"b":"&1","a":"&2"}]]`,
		`[{"10":"&0","b":"&1","9":"&2","1":["&3"],"a":{"2":"&4","0":"&5"}}]`,
		`[{"#tag":"t","payload":["&0","&1"]},"&2"]`,
		`[{"x":{"#tag":"u","payload":{"k":"&0","j":["&1"]}}},["&2"]]`,
		`[["&0","&0",{"#tag":"v","payload":{"#tag":"w","payload":"&1"}}],"&1"]`,
	} {
		var slots []vat.VRef
		for j := 0; strings.Contains(args, fmt.Sprintf(`"&%d"`, j)); j++ {
			send(fmt.Sprintf(`["mk",["%d.%d"]]`, i, j), nil)
			slots = append(slots, vat.VRef(fmt.Sprintf("p-%d", p)))
		}
		resolved = nil
		send(`["take",`+args+`]`, slots)
		r, err := w.in.EvalString(`JSON.stringify(globalThis.hardenOrder)`)
		if err != nil {
			t.Fatal(err)
		}
		var logs []string
		if err := json.Unmarshal([]byte(r), &logs); err != nil || len(logs) != 2 {
			t.Fatalf("args %s: log %q: %v", args, r, err)
		}
		got, want := strings.ReplaceAll(logs[0], "A", "B"), logs[1]
		if got != want {
			t.Errorf("args %s: the glue's hardening ran\n%s\nversion 2 ran\n%s", args, got, want)
		}
		if !strings.Contains(want, "ownKeys") || len(resolved) != 1 {
			t.Errorf("args %s: no proxy trap ran (%q), resolutions %q", args, want, resolved)
		}
	}
}
