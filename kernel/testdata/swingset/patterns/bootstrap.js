// The heap data model of SwingSet 0.33 (@endo/patterns, @endo/marshal's
// rank order and key encoding, @agoric/store, @endo/exo): each method logs
// what it observes with testLog; the expected lines come from SwingSet 0.33.
import { Far, E } from '@endo/far';
import { makeTagged } from '@endo/pass-style';
import { compareRank, makeEncodePassable, makeDecodePassable } from '@endo/marshal';
import {
  M,
  mustMatch,
  matches,
  isKey,
  keyEQ,
  compareKeys,
  makeCopySet,
  makeCopyBag,
  makeCopyMap,
  getCopySetKeys,
  getCopyMapEntries,
  getInterfaceGuardPayload,
  getMethodGuardPayload,
} from '@endo/patterns';
import { makeScalarMapStore, makeScalarSetStore, makeScalarWeakMapStore, makeScalarWeakSetStore, provideLazy } from '@agoric/store';
import { makeExo, defineExoClass, defineExoClassKit, initEmpty } from '@endo/exo';

const show = v =>
  JSON.stringify(v, (_k, x) => {
    if (typeof x === 'bigint') return `${x}n`;
    if (typeof x === 'symbol') return String(x);
    if (x === undefined) return '#undefined';
    if (typeof x === 'number' && !Number.isFinite(x)) return `#${x}`;
    if (typeof x === 'object' && x !== null && Symbol.toStringTag in x && !Array.isArray(x)) {
      const tag = x[Symbol.toStringTag];
      return 'payload' in x ? { tag, payload: x.payload } : `[${tag}]`;
    }
    return x;
  });

export function buildRootObject(vatPowers) {
  const { testLog: log } = vatPowers;
  const attempt = (label, thunk) => {
    try {
      log(`${label}: ok ${show(thunk())}`);
    } catch (e) {
      log(`${label}: ${e.name}: ${e.message}`);
    }
  };
  const alice = Far('alice', {});
  const bob = Far('bob', {});
  let vats;
  return Far('root', {
    bootstrap(v) {
      vats = v;
      return 'ready';
    },

    rankOrder() {
      const keys = harden([
        'b', 'a', '', 'ab', 10n, -3n, 0n, 2, -1, 0.5, -Infinity, Infinity, NaN, true, false, null, undefined,
        ['a'], [], ['a', 'b'], [1], { a: 1 }, {}, { b: 0 }, { a: 1, b: 2 }, Symbol.for('s'),
        makeCopySet(['x', 'y']), makeTagged('tagX', 1), alice,
      ]);
      const sorted = [...keys].sort(compareRank);
      log(`sorted: ${show(sorted)}`);
      const enc = makeEncodePassable({ encodeRemotable: r => `r0000000001:o+${r === alice ? 1 : 2}` });
      const dec = makeDecodePassable({ decodeRemotable: () => alice });
      for (const k of sorted) log(`enc ${show(k)} = ${show(enc(k))} back ${show(dec(enc(k)))}`);
      const byEnc = [...keys].sort((x, y) => (enc(x) < enc(y) ? -1 : enc(x) > enc(y) ? 1 : 0));
      log(`same order: ${show(byEnc) === show(sorted)}`);
      log(`compareKeys: ${compareKeys(1, 2)} ${compareKeys(makeCopySet(['a']), makeCopySet(['a', 'b']))} ${compareKeys('a', 1)} ${compareKeys(harden({ a: 1, b: 2 }), harden({ a: 2, b: 1 }))} ${compareKeys(harden({ a: 1, b: 2 }), harden({ a: 2, b: 2 }))}`);
      log(`keyEQ: ${keyEQ(harden([1, 'a']), harden([1, 'a']))} ${keyEQ(alice, bob)} ${isKey(harden({ p: Promise.resolve() }))}`);

      const store = makeScalarMapStore('mixed');
      for (const k of ['b', 'a', 10n, -3n, 2, -1, NaN, true, null, undefined, alice, bob, Symbol.for('s')]) store.init(k, show(k));
      log(`store keys: ${show([...store.keys()])}`);
      log(`store values: ${show([...store.values()])}`);
      log(`store strings: ${show([...store.keys(M.string())])} size ${store.getSize(M.string())}`);
      log(`store >= 0: ${show([...store.keys(M.and(M.number(), M.gte(0)))])}`);
      log(`snapshot: ${show(store.snapshot(M.or(M.string(), M.bigint())))}`);
      const set = makeScalarSetStore('letters');
      set.addAll(['c', 'a', 'b']);
      log(`set: ${show([...set.keys()])} snapshot ${show(getCopySetKeys(set.snapshot()))}`);
      return 'ok';
    },

    mustMatchErrors() {
      const cases = [
        ['string vs number', 'x', M.number()],
        ['negative nat', -1n, M.nat()],
        ['number vs nat', 3, M.nat()],
        ['or', 3, M.or(M.string(), M.boolean())],
        ['arrayOf', harden([1, 'a']), M.arrayOf(M.number())],
        ['remotable vs string', alice, M.string()],
        ['undefined vs string', undefined, M.string()],
        ['lt', 10n, M.lt(5n)],
        ['gte', 1, M.gte(5)],
        ['record missing', harden({ a: 1 }), harden({ a: M.number(), b: M.string() })],
        ['record extra', harden({ a: 1, c: 2 }), harden({ a: M.number() })],
        ['record value', harden({ a: 'x' }), harden({ a: M.number() })],
        ['splitRecord', harden({ a: 1, b: 'x' }), M.splitRecord({ a: M.number() }, { b: M.number() })],
        ['splitArray', harden([1]), M.splitArray([M.number(), M.string()])],
        ['remotable label', 'x', M.remotable('Purse')],
        ['promise', 'x', M.promise()],
        ['key literal', 'x', 'y'],
        ['array literal', harden([1, 2]), harden([1, M.string()])],
        ['array length', harden([1]), harden([1, M.string()])],
        ['not', 3, M.not(M.number())],
        ['recordOf', harden({ a: 1 }), M.recordOf(M.string(), M.string())],
        ['setOf', makeCopySet([1, 'a']), M.setOf(M.string())],
        ['bagOf', makeCopyBag([['a', 2n]]), M.bagOf(M.string(), M.lt(2n))],
        ['mapOf', makeCopyMap([['a', 1]]), M.mapOf(M.string(), M.string())],
        ['eq', 2, M.eq(1)],
        ['neq', 1, M.neq(1)],
        ['opt', 'x', M.opt(M.number())],
        ['kind', 'x', M.kind('copySet')],
        ['set vs record', harden({}), M.set()],
        ['scalar', harden([1]), M.scalar()],
        ['key', harden([Promise.resolve()]), M.key()],
        ['null', 'x', M.null()],
        ['undefined', 'x', M.undefined()],
        ['boolean', 1, M.boolean()],
        ['bigint', 1, M.bigint()],
        ['symbol', 'x', M.symbol()],
        ['string limits', 'abcdef', M.string({ stringLengthLimit: 3 })],
        ['eref', 1, M.eref(M.string())],
        ['ok any', 1, M.any()],
        ['ok partial', harden({ a: 1 }), M.partial({ a: M.number(), b: M.string() })],
        ['ok split', harden([1, 'x', 2]), M.splitArray([M.number()], [M.string()], M.arrayOf(M.number()))],
      ];
      for (const [label, specimen, patt] of cases) {
        attempt(label, () => mustMatch(specimen, patt, label));
        log(`  matches: ${matches(specimen, patt)}`);
      }
      attempt('no label', () => mustMatch('x', M.number()));
      attempt('bad pattern', () => mustMatch(1, harden([Promise.resolve()])));
      return 'ok';
    },

    storeErrors() {
      const store = makeScalarMapStore('things', { keyShape: M.string(), valueShape: M.number() });
      store.init('a', 1);
      attempt('init twice', () => store.init('a', 2));
      attempt('get missing', () => store.get('zz'));
      attempt('set missing', () => store.set('zz', 1));
      attempt('delete missing', () => store.delete('zz'));
      attempt('key shape', () => store.init(3, 1));
      attempt('value shape', () => store.init('b', 'x'));
      attempt('non-scalar key', () => makeScalarMapStore('m').init(harden(['a']), 1));
      attempt('default tag', () => makeScalarMapStore().get('q'));
      attempt('provideLazy', () => [provideLazy(store, 'c', k => k.length + 10), provideLazy(store, 'c', () => 99)]);
      attempt('store iface', () => String(store));
      const set = makeScalarSetStore('members');
      attempt('set delete missing', () => set.delete('x'));
      attempt('set bad key', () => set.add(harden({ a: 1 })));
      const weak = makeScalarWeakMapStore('weak');
      attempt('weak string key', () => weak.init('a', 1));
      weak.init(alice, 'A');
      attempt('weak get', () => [weak.get(alice), weak.has(bob)]);
      attempt('weak missing', () => weak.get(bob));
      const weakSet = makeScalarWeakSetStore('wset');
      attempt('weakset string', () => weakSet.add('a'));
      attempt('cursor stale', () => {
        const s = makeScalarMapStore('iter');
        s.init('a', 1);
        s.init('b', 2);
        const out = [];
        for (const k of s.keys()) {
          out.push(k);
          s.init(`${k}2`, 3);
        }
        return out;
      });
      attempt('clear', () => {
        store.clear();
        return store.getSize();
      });
      return 'ok';
    },

    exoErrors() {
      const I = M.interface('Counter', {
        incr: M.call(M.nat()).returns(M.nat()),
        name: M.call().optional(M.string()).returns(M.string()),
        bad: M.call().returns(M.string()),
        many: M.call(M.string()).rest(M.number()).returns(),
      });
      const counter = makeExo('Counter', I, {
        incr(n) {
          return 5n + n;
        },
        name(s = 'none') {
          return `name ${s}`;
        },
        bad() {
          return 42;
        },
        many(s, ...ns) {
          return undefined;
        },
      });
      attempt('incr', () => counter.incr(2n));
      attempt('incr bad arg', () => counter.incr(-2n));
      attempt('incr string', () => counter.incr('x'));
      attempt('incr missing', () => counter.incr());
      attempt('incr too many', () => counter.incr(1n, 2n));
      attempt('name', () => [counter.name(), counter.name('x')]);
      attempt('name bad', () => counter.name(1));
      attempt('bad return', () => counter.bad());
      attempt('rest', () => counter.many('a', 1, 2));
      attempt('rest bad', () => counter.many('a', 1, 'b'));
      attempt('iface', () => String(counter));
      attempt('guard', () => getInterfaceGuardPayload(counter.__getInterfaceGuard__()).interfaceName);
      attempt('method guard', () => getMethodGuardPayload(getInterfaceGuardPayload(I).methodGuards.incr).callKind);
      attempt('unguarded method', () => makeExo('X', M.interface('X', {}), { f() {} }));
      attempt('unimplemented', () => makeExo('Y', M.interface('Y', { f: M.call().returns() }), {}));
      attempt('sloppy', () => makeExo('Z', M.interface('Z', {}, { sloppy: true }), { f: x => x }).f(harden([1])));
      attempt('wrong this', () => counter.incr.call(alice, 1n));
      const makeCounter = defineExoClass(
        'Count',
        M.interface('Count', { incr: M.call().returns(M.number()), get: M.call().returns(M.number()) }),
        (start = 0) => ({ n: start }),
        {
          incr() {
            this.state.n += 1;
            return this.state.n;
          },
          get() {
            return this.state.n;
          },
        },
        { finish: ({ state }) => { state.n += 100; } },
      );
      const c1 = makeCounter(1);
      const c2 = makeCounter();
      attempt('class', () => [c1.incr(), c1.incr(), c2.incr(), c1.get(), String(c1)]);
      const makeKit = defineExoClassKit(
        'Kit',
        { up: M.interface('Up', { go: M.call().returns(M.number()) }), down: M.interface('Down', { go: M.call().returns(M.number()) }) },
        () => ({ n: 0 }),
        {
          up: {
            go() {
              this.state.n += 1;
              return this.facets.down === undefined ? -1 : this.state.n;
            },
          },
          down: {
            go() {
              this.state.n -= 1;
              return this.state.n;
            },
          },
        },
      );
      const kit = makeKit();
      attempt('kit', () => [kit.up.go(), kit.up.go(), kit.down.go(), String(kit.up), String(kit.down)]);
      attempt('empty', () => initEmpty());
      return 'ok';
    },

    async remoteExo() {
      const remote = await E(vats.exo).getCounter();
      const results = [];
      for (const [method, args] of [['incr', [1n]], ['incr', [-1n]], ['incr', ['x']], ['incr', []], ['later', [Promise.resolve(3)]], ['later', ['x']]]) {
        try {
          results.push(`${method}: ok ${show(await E(remote)[method](...args))}`);
        } catch (e) {
          results.push(`${method}: ${e.name}: ${e.message}`);
        }
      }
      for (const r of results) log(r);
      return 'ok';
    },
  });
}
