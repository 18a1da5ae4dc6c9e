// Version 2: the same durable kinds, re-prepared with more behavior.
import { M } from '@endo/patterns';
import { prepareExo, prepareExoClass, provideDurableMapStore } from '@agoric/vat-data';

export function buildRootObject(vatPowers, vatParameters, baggage) {
  const counters = provideDurableMapStore(baggage, 'counters', { keyShape: M.string() });
  const makeCounter = prepareExoClass(
    baggage,
    'Counter',
    M.interface('Counter', { incr: M.call().returns(M.number()), get: M.call().returns(M.number()) }),
    () => ({ n: 0 }),
    {
      incr() {
        this.state.n += 1;
        return this.state.n;
      },
      get() {
        return this.state.n;
      },
    },
  );
  return prepareExo(
    baggage,
    'Counters',
    M.interface('Counters', {
      incr: M.call(M.string()).returns(M.number()),
      totals: M.call().returns(M.record()),
    }),
    {
      incr(name) {
        if (!counters.has(name)) counters.init(name, makeCounter());
        return counters.get(name).incr();
      },
      totals() {
        const out = {};
        for (const [name, counter] of counters.entries()) out[name] = counter.get();
        return harden(out);
      },
    },
  );
}
