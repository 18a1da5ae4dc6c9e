// Incarnation 1 of a vat written for SwingSet 0.33: exo classes, a kit, a
// durable registry in baggage, a virtual kind and a durable promise watcher.
import { Far, E } from '@endo/far';
import { M } from '@endo/patterns';
import {
  prepareExo,
  prepareExoClass,
  prepareExoClassKit,
  provideDurableMapStore,
  makeScalarBigMapStore,
  makeScalarBigSetStore,
  defineKind,
  provideKindHandle,
  providePromiseWatcher,
  watchPromise,
} from '@agoric/vat-data';

export function buildRootObject(vatPowers, vatParameters, baggage) {
  const { testLog: log } = vatPowers;
  const entries = provideDurableMapStore(baggage, 'entries');
  const CounterI = M.interface('Counter', {
    incr: M.call().optional(M.number()).returns(M.number()),
    get: M.call().returns(M.number()),
  });
  const makeCounter = prepareExoClass(baggage, 'Counter', CounterI, (start = 0) => ({ count: start }), {
    incr(n = 1) {
      this.state.count += n;
      return this.state.count;
    },
    get() {
      return this.state.count;
    },
  });
  const makeAccount = prepareExoClassKit(baggage, 'Account', undefined, name => ({ name, balance: 0 }), {
    holder: {
      deposit(n) {
        this.state.balance += n;
        return this.facets.viewer.balance();
      },
    },
    viewer: {
      balance() {
        return this.state.balance;
      },
      name() {
        return this.state.name;
      },
    },
  });
  const registry = prepareExo(baggage, 'Registry', undefined, {
    put(key, value) {
      entries.init(key, value);
      return entries.getSize();
    },
    get(key) {
      return entries.get(key);
    },
  });
  const watcher = providePromiseWatcher(
    provideKindHandle(baggage, 'Watcher'),
    (v, tag) => log(`v1 watcher: ${tag} fulfilled ${v}`),
    (e, tag) => log(`v1 watcher: ${tag} rejected ${e.message || e.name}`),
  );
  // Virtual (not durable) objects and stores: gone after an upgrade.
  const makePoint = defineKind('Point', (x, y) => ({ x, y }), {
    getX: ({ state }) => state.x,
    setX: ({ state }, x) => {
      state.x = x;
    },
  });
  const points = makeScalarBigMapStore('points');

  const errorOf = f => {
    try {
      f();
      return 'no error';
    } catch (e) {
      return e.message;
    }
  };
  return Far('store', {
    version: () => 'v1',
    put: (key, value) => registry.put(key, value),
    get: key => registry.get(key),
    keys: () => [...entries.keys()],
    values: () => [...entries.values()],
    size: () => entries.getSize(),
    remove: key => {
      entries.delete(key);
      return entries.getSize();
    },
    registry: () => registry,
    makeCounter: start => makeCounter(start),
    counterInBaggage: () => {
      if (!baggage.has('counter')) baggage.init('counter', makeCounter(100));
      return baggage.get('counter');
    },
    account: name => {
      const kit = makeAccount(name);
      baggage.init(`account ${name}`, kit.holder);
      return kit.holder;
    },
    point: (name, x, y) => {
      const p = makePoint(x, y);
      points.init(name, p);
      return p;
    },
    balance: name => baggage.get(`account ${name}`).deposit(0),
    pointX: name => points.get(name).getX(),
    samePoint: name => points.get(name) === points.get(name),
    pointCount: () => points.getSize(),
    errors: () => {
      const typed = makeScalarBigMapStore('typed', { keyShape: M.string(), valueShape: M.nat() });
      const set = makeScalarBigSetStore('set');
      set.add('a');
      set.add('a');
      return harden({
        missing: errorOf(() => entries.get('nope')),
        duplicate: errorOf(() => {
          entries.init('dup', 1);
          entries.init('dup', 2);
        }),
        notDurable: errorOf(() => entries.init('far', Far('ephemeral', {}))),
        keyShape: errorOf(() => typed.init(1, 1)),
        valueShape: errorOf(() => typed.init('a', -1)),
        guard: errorOf(() => makeCounter(1).incr('x')),
        tooLong: errorOf(() => entries.init('k'.repeat(300), 1)),
        setSize: set.getSize(),
        setHas: set.has('a'),
      });
    },
    // A durable map keyed by remotables: insertion order, identity.
    remotableKeys: other => {
      const m = makeScalarBigMapStore('byRef', { durable: true });
      const c1 = makeCounter(1);
      const c2 = makeCounter(2);
      m.init(c2, 'c2');
      m.init(other, 'other');
      m.init(c1, 'c1');
      const order = [...m.values()];
      const hasAll = m.has(c1) && m.has(other) && !m.has(makeCounter(3));
      m.delete(c2);
      return harden({ order, hasAll, size: m.getSize(), first: [...m.keys()][0] === other, get: m.get(c1) });
    },
    watch: (other, tag) => {
      watchPromise(E(other).hang(), watcher, tag);
      return 'watching';
    },
  });
}
