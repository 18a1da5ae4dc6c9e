package wasm

import (
	"strings"
	"testing"

	"github.com/cooper-kernel/cooper/bundle"
	"github.com/cooper-kernel/cooper/vat"
)

// freezeSource hardens twin structures, one with harden (which freezes
// objects that are not proxies in C: qjs.OpFreezeOwn) and one with the
// harden of version 2 written out in JS, and compares them: the same
// error, and the same objects frozen (which, when the freeze of an
// object fails halfway, depends on the order of the walk).
const freezeSource = `
const hardened2 = new WeakSet();
function harden2(root) {
  const todo = [root];
  while (todo.length > 0) {
    const v = todo.pop();
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null || hardened2.has(v)) continue;
    hardened2.add(v);
    Object.freeze(v);
    todo.push(Object.getPrototypeOf(v));
    const descs = Object.getOwnPropertyDescriptors(v);
    for (const k of Reflect.ownKeys(descs)) {
      const d = descs[k];
      if ('value' in d) todo.push(d.value);
      else todo.push(d.get, d.set);
    }
  }
  return root;
}
const outcome = f => { try { f(); return 'ok'; } catch (e) { return String(e); } };
// shape lists what is reachable from v (own properties, getters, setters,
// prototypes up to the intrinsics) with whether each object is frozen.
const shape = (v, seen = new Map(), out = []) => {
  if ((typeof v !== 'object' && typeof v !== 'function') || v === null) { out.push(typeof v); return out; }
  if (v === Object.prototype || v === Function.prototype || v === Array.prototype) { out.push('intrinsic'); return out; }
  if (seen.has(v)) { out.push('seen ' + seen.get(v)); return out; }
  seen.set(v, seen.size);
  out.push('object ' + Object.isFrozen(v));
  shape(Object.getPrototypeOf(v), seen, out);
  for (const k of Reflect.ownKeys(v)) {
    const d = Reflect.getOwnPropertyDescriptor(v, k);
    out.push(String(k));
    if ('value' in d) shape(d.value, seen, out);
    else { shape(d.get, seen, out); shape(d.set, seen, out); }
  }
  return out;
};
const makers = {
  data: () => [1, { a: [2, { b: 'x' }] }, 'y'],
  accessors: () => { const o = {}; const get = () => 1; get.extra = { e: [] }; Object.defineProperty(o, 'g', { get, set: function s(v) {}, enumerable: true }); Object.defineProperty(o, 'h', { set: () => {} }); return o; },
  symbols: () => ({ [Symbol('s')]: { x: 1 }, [Symbol.iterator]: [3], 10: { n: 1 }, 2: [], z: {} }),
  functions: () => { function named() {} named.extra = [{}]; const arrow = () => 1; arrow.p = { q: {} }; return { named, arrow, method() {}, async af() {}, *gen() {} }; },
  classes: () => { class K { constructor() { this.own = { o: 1 }; } m() {} static s() {} } K.prototype.shared = { sh: [] }; return new K(); },
  prototypes: () => Object.create(Object.create({ deep: { d: [] } }, { mid: { value: {}, enumerable: false } })),
  typedArray: () => [{ before: {} }, new Uint8Array(2), { after: {} }],
  emptyTypedArray: () => ({ t: new Uint8Array(0), b: new ArrayBuffer(4) }),
  builtins: () => [new Date(0), new Map([[{}, {}]]), new Set([{}]), /re/g, new String('ab'), new Number(1), Error('e'), new TypeError('t')],
  args: () => (function () { return arguments; })({ a: 1 }, [2]),
  bound: () => { function f() {} f.p = {}; return f.bind({ thisArg: {} }, { partial: {} }); },
  promise: () => { const p = Promise.resolve(1); p.x = { y: {} }; return p; },
  holes: () => { const a = [1, , { c: {} }]; a[100] = {}; a.extra = [{}]; return a; },
  frozenOutside: () => Object.freeze({ inside: { x: {} } }),
  nullProto: () => { const o = Object.create(null); o.k = { v: Object.create(null) }; return o; },
  generatorObject: () => (function* g() { yield 1; })(),
  proxies: () => ({ p: new Proxy({ t: {} }, {}), q: [new Proxy([], {})] }),
  revoked: () => { const r = Proxy.revocable({}, {}); r.revoke(); return [{ a: {} }, r.proxy, { b: {} }]; },
};
const report = [];
for (const name of Object.keys(makers)) {
  const a = makers[name]();
  const b = makers[name]();
  const got = outcome(() => harden(a));
  const want = outcome(() => harden2(b));
  let sa, sb;
  try { sa = shape(a).join(','); sb = shape(b).join(','); } catch (e) { sa = sb = 'unwalkable ' + e; }
  if (got !== want || sa !== sb) report.push(name + ': harden ' + got + ' / ' + sa + '; version 2 ' + want + ' / ' + sb);
  else report.push(name + ' same ' + got);
}
globalThis.freezeReport = report.join('\n');
export const buildRootObject = () => ({});
`

// TestFreezeOwn: harden in C (qjs.OpFreezeOwn) freezes what harden in JS
// froze, in the same order, and fails where it failed.
func TestFreezeOwn(t *testing.T) {
	bd, err := bundle.BuildSource("freeze.js", freezeSource)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewMaker(Options{}).New(vat.Spec{ID: "v1", Name: "freeze", Bundle: bd.Marshal()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := (*face)(w).Evaluate(); err != nil {
		t.Fatal(err)
	}
	r, err := w.in.EvalString(`globalThis.freezeReport`)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", r)
	lines := strings.Split(r, "\n")
	if len(lines) != 18 {
		t.Fatalf("%d cases reported", len(lines))
	}
	for _, l := range lines {
		if !strings.Contains(l, " same ") {
			t.Error(l)
		}
	}
	// Some cases fail, and fail halfway.
	for _, s := range []string{"typedArray same TypeError", "revoked same TypeError", "data same ok"} {
		if !strings.Contains(r, s) {
			t.Errorf("no %q", s)
		}
	}
}
