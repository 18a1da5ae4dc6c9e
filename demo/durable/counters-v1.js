// Named counters kept in durable state, written for SwingSet 0.33: an exo
// class for the counters, a durable map store in baggage, a durable root.
import { M } from '@endo/patterns';
import { prepareExo, prepareExoClass, provideDurableMapStore } from '@agoric/vat-data';

export function buildRootObject(vatPowers, vatParameters, baggage) {
  const counters = provideDurableMapStore(baggage, 'counters', { keyShape: M.string() });
  const makeCounter = prepareExoClass(
    baggage,
    'Counter',
    M.interface('Counter', { incr: M.call().returns(M.number()) }),
    () => ({ n: 0 }),
    {
      incr() {
        this.state.n += 1;
        return this.state.n;
      },
    },
  );
  return prepareExo(
    baggage,
    'Counters',
    M.interface('Counters', { incr: M.call(M.string()).returns(M.number()) }),
    {
      incr(name) {
        if (!counters.has(name)) counters.init(name, makeCounter());
        return counters.get(name).incr();
      },
    },
  );
}
