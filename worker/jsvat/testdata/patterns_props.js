// Property tests of patterns.js, run as a vat bundle's module body on each
// engine (worker/js and worker/wasm tests): it throws on the first failure.
// Random values come from a seeded LCG: the same cases on every run.
import { Far, makeTagged, passStyleOf } from '@endo/far';
import { compareRank, makeEncodePassable, makeDecodePassable, makePassableKit } from '@endo/marshal';
import { keyEQ, isKey, makeCopySet, makeCopyBag, makeCopyMap, M } from '@endo/patterns';
import { defendPrototype, defendPrototypeKit, makeInstance } from '@endo/exo/tools.js';

let seed = 12345;
const rand = n => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed % n;
};
const pick = xs => xs[rand(xs.length)];
const remotables = [Far('r0', {}), Far('r1', {}), Far('r2', {})];
const strings = ['', 'a', 'ab', 'b', 'a\u0000', 'a\u0001b', '\u0000', ' ', '!', '^', '_', '~', 'z', '\uffff', '\ud800\udc00', 'é'];
const numbers = [0, -0, 1, -1, 0.5, -0.5, 1e300, -1e300, Infinity, -Infinity, NaN, 5e-324, -5e-324, 2 ** 53, 42];
const bigints = [0n, 1n, -1n, 9n, 10n, -9n, -10n, 99n, 100n, -100n, 12345678901234567890n, -12345678901234567890n];
const symbols = [Symbol.for('x'), Symbol.for(''), Symbol.iterator, Symbol.for('@@y')];

function randKey(depth, withRemotables) {
  const choice = rand(depth > 2 ? 9 : 13);
  switch (choice) {
    case 0: return undefined;
    case 1: return null;
    case 2: return rand(2) === 0;
    case 3: return pick(numbers);
    case 4: return pick(bigints);
    case 5: case 6: return pick(strings);
    case 7: return pick(symbols);
    case 8: return withRemotables ? pick(remotables) : pick(strings);
    case 9: case 10: {
      const n = rand(4);
      const a = [];
      for (let i = 0; i < n; i += 1) a.push(randKey(depth + 1, withRemotables));
      return harden(a);
    }
    case 11: {
      const n = rand(4);
      const r = {};
      for (let i = 0; i < n; i += 1) r[pick(['a', 'b', 'c', 'aa', ''])] = randKey(depth + 1, withRemotables);
      return harden(r);
    }
    default: {
      const n = rand(4);
      const elems = [];
      for (let i = 0; i < n; i += 1) elems.push(pick(strings));
      switch (rand(4)) {
        case 0: return makeCopySet([...new Set(elems)]);
        case 1: return makeCopyBag([...new Set(elems)].map((e, i) => [e, BigInt(i + 1)]));
        case 2: return makeCopyMap([...new Set(elems)].map((e, i) => [e, randKey(depth + 1, withRemotables)]));
        default: return makeTagged('someTag', randKey(depth + 1, withRemotables));
      }
    }
  }
}

const sign = x => (x < 0 ? -1 : x > 0 ? 1 : 0);
const strcmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const show = v => { try { return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : typeof x === 'symbol' ? String(x) : x === undefined ? '#undef' : x)); } catch (e) { return String(v); } };

// Remotables get ordinals as liveslots gives them: the encoding sorts by
// ordinal, rank order ties them.
const ordinals = new Map(remotables.map((r, i) => [r, i + 1]));
const byOrdinal = new Map(remotables.map((r, i) => [`r${String(i + 1).padStart(10, '0')}:o+${i}`, r]));
const kit = format => makePassableKit({
  format,
  encodeRemotable: r => `r${String(ordinals.get(r)).padStart(10, '0')}:o+${ordinals.get(r) - 1}`,
  decodeRemotable: s => byOrdinal.get(s),
});
for (const format of ['legacyOrdered', 'compactOrdered']) {
  const { encodePassable: enc, decodePassable: dec } = kit(format);
  for (let i = 0; i < 1500; i += 1) {
    const withR = i % 3 === 0;
    const a = randKey(0, withR);
    const b = randKey(0, withR);
    if (!isKey(a) || !isKey(b)) throw Error(`not keys: ${show(a)} ${show(b)}`);
    const ea = enc(a);
    const eb = enc(b);
    const r = sign(compareRank(a, b));
    const s = sign(strcmp(ea, eb));
    if (r !== 0 && r !== s) {
      throw Error(`${format}: compareRank(${show(a)}, ${show(b)}) = ${r} but encodings compare ${s}: ${show(ea)} ${show(eb)}`);
    }
    if (r === 0 && !withR && s !== 0) {
      throw Error(`${format}: rank-equal ${show(a)} ${show(b)} encode differently: ${show(ea)} ${show(eb)}`);
    }
    const da = dec(ea);
    if (!keyEQ(da, a) || enc(da) !== ea) {
      throw Error(`${format}: decode(encode(${show(a)})) = ${show(da)}`);
    }
    if (sign(compareRank(b, a)) !== -r) throw Error(`compareRank not antisymmetric on ${show(a)} ${show(b)}`);
  }
}

// Known encodings (SwingSet 0.33's liveslots vatstore keys use legacyOrdered).
const enc = makeEncodePassable();
const known = [
  ['foo', 'sfoo'], [47n, 'p2:47'], [-47n, 'n8:53'], [0n, 'p1:0'], [1, 'fbff0000000000000'], [-1, 'f400fffffffffffff'],
  [0, 'f8000000000000000'], [-0, 'f8000000000000000'], [NaN, 'ffff8000000000000'], [true, 'btrue'], [null, 'v'], [undefined, 'z'],
  [harden(['a', 1n]), '[sa\u0000p1:1\u0000'], [harden({ b: 1n, a: 'x' }), '([[sb\u0001\u0000sa\u0001\u0000\u0000[p1:1\u0001\u0000sx\u0001\u0000\u0000'],
  [Symbol.for('s'), 'ys'], [Symbol.iterator, 'y@@iterator'],
];
for (const [v, want] of known) {
  const got = enc(v);
  if (got !== want) throw Error(`encodePassable(${show(v)}) = ${show(got)}, want ${show(want)}`);
}
const compact = makeEncodePassable({ format: 'compactOrdered' });
if (compact(harden(['a b', '^_!'])) !== '~^sa!_b s_@__!| ') throw Error(`compact: ${show(compact(harden(['a b', '^_!'])))}`);
for (const bad of ['', 'x', 'f12', 'bmaybe', '[sa', 'p3:1', '(', ':[sa\u0000\u0000']) {
  let threw = false;
  try { makeDecodePassable()(bad); } catch (e) { threw = true; }
  if (!threw) throw Error(`decodePassable(${show(bad)}) did not throw`);
}
if (passStyleOf(makeCopySet(['a'])) !== 'tagged') throw Error('copySet pass style');

// The contract of defendPrototype for the virtual/durable layer: the
// context comes from the provider at each call, `this` is the context for
// thisful methods, the guard checks arguments, instances are remotables.
{
  const MM = M;
  const contexts = new Map();
  const proto = defendPrototype(
    'Thing',
    rep => contexts.get(rep),
    { get() { return this.state.n; }, add(k) { this.state.n += k; return this.self; } },
    true,
    MM.interface('Thing', { get: MM.call().returns(MM.number()), add: MM.call(MM.number()).returns(MM.remotable()) }),
  );
  const t = makeInstance(proto);
  contexts.set(t, { state: { n: 1 }, self: t });
  if (passStyleOf(t) !== 'remotable' || t.add(2) !== t || t.get() !== 3) throw Error('defendPrototype: thisful calls');
  let msg = '';
  try { t.add('x'); } catch (e) { msg = e.message; }
  if (msg !== 'In "add" method of (Thing): arg 0: string (a string) - Must be a number') throw Error(`defendPrototype guard: ${msg}`);
  try { makeInstance(proto).get(); } catch (e) { msg = e.message; }
  if (msg !== '"In \\"get\\" method of (Thing)" may only be applied to a valid instance: (an object)') throw Error(`defendPrototype no context: ${msg}`);
  const kitContexts = { a: new Map(), b: new Map() };
  const protos = defendPrototypeKit('K', { a: r => kitContexts.a.get(r), b: r => kitContexts.b.get(r) }, { a: { f: (ctx, x) => [ctx.state.v, x] }, b: { g: ctx => ctx.facets.a } });
  const a = makeInstance(protos.a);
  const bFacet = makeInstance(protos.b);
  const ctx = { state: { v: 7 }, facets: { a, b: bFacet } };
  kitContexts.a.set(a, ctx);
  kitContexts.b.set(bFacet, ctx);
  if (a.f(1)[0] !== 7 || bFacet.g() !== a || String(a) !== '[object Alleged: K a]') throw Error('defendPrototypeKit: shifted calls');
}
