// Kinds defined at module level, as SwingSet's own test vats do: the
// module body runs inside startVat, so it may use the vatstore.
import { Far } from '@endo/far';
import { makeKindHandle, defineDurableKind, defineKind } from '@agoric/vat-data';

const holderMethods = {
  get: ({ state }) => state.value,
  set: ({ state }, v) => {
    state.value = v;
  },
};
const durandal = makeKindHandle('durandal');
const makeDur = defineDurableKind(durandal, value => ({ value }), holderMethods);
const makeVir = defineKind('virtual', value => ({ value }), holderMethods);

export function buildRootObject(vatPowers, vatParameters, baggage) {
  if (!baggage.has('durandal')) baggage.init('durandal', durandal);
  return Far('holder', {
    make: v => {
      const d = makeDur(v);
      baggage.init('dur', d);
      return harden([d, makeVir(v)]);
    },
    read: () => baggage.get('dur').get(),
  });
}
