// Version 2: the durable kind's handle comes from baggage.
import { Far } from '@endo/far';
import { defineDurableKind } from '@agoric/vat-data';

export function buildRootObject(vatPowers, vatParameters, baggage) {
  defineDurableKind(baggage.get('durandal'), value => ({ value }), {
    get: ({ state }) => `v2 ${state.value}`,
  });
  return Far('holder', {
    read: () => baggage.get('dur').get(),
  });
}
