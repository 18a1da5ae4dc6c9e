// Second incarnation: re-prepares the durable kinds (the durandal in a
// new way), and fails its start when vatParameters say so.
import { Far, E } from '@endo/far';
import { defineDurableKind, defineDurableKindMulti } from '@agoric/vat-data';

const behavior = {
  get: ({ state }) => ({ new: 'new', ...state.value }),
  getImport: ({ state }) => state.imp,
  set: ({ state }, value) => {
    state.value = value;
  },
};

export const buildRootObject = (vatPowers, vatParameters, baggage) => {
  const makeDurandal = defineDurableKind(baggage.get('durandalHandle'), (name, imp, value) => harden({ name, imp, value }), behavior);
  const newDur = makeDurandal('dur-new', undefined, { name: 'new1' });
  let counter = 20;
  if (vatParameters?.explode) {
    throw Error(vatParameters.explode);
  }
  if (baggage.has('kh')) {
    const kh = baggage.get('kh');
    const empty = () => ({});
    const { mode } = vatParameters;
    if (mode === 'single') defineDurableKind(kh, empty, {});
    else if (mode === 'multi-foo') defineDurableKindMulti(kh, empty, { foo: {} });
    else if (mode === 'multi-bar-foo') defineDurableKindMulti(kh, empty, { bar: {}, foo: {} });
    else if (mode === 'multi-arf-foo-bar') defineDurableKindMulti(kh, empty, { arf: {}, foo: {}, bar: {} });
    else if (mode === 'multi-foo-bar-baz') defineDurableKindMulti(kh, empty, { foo: {}, bar: {}, baz: {} });
    else if (mode !== 'skip') throw Error(`unknown mode ${mode}`);
  }
  if (!vatParameters?.loseWatcher) {
    defineDurableKind(baggage.get('wh'), () => harden({ result: ['unresolved'] }), {
      onFulfilled: ({ state }, data) => {
        state.result = harden(['fulfill', data]);
      },
      onRejected: ({ state }, reason) => {
        state.result = harden(['reject', reason]);
      },
      getResult: ({ state }) => state.result,
    });
  }
  return Promise.resolve(
    Far('root', {
      getVersion: () => 'v2',
      getParameters: () => vatParameters,
      getPresence: () => baggage.get('presence'),
      getData: () => baggage.get('data'),
      countEntries: collection => Array.from(collection.entries()).length,
      checkBaggage: imp5 => {
        const dc5 = baggage.get('dc5');
        return [dc5.has(imp5), dc5.get(imp5).get(), dc5.get(imp5).getImport() === imp5];
      },
      baggageImport: () => baggage.get('imp6'),
      heldPromiseSeen: () => 'v2 holds no promise',
      getWatcherResult: () => baggage.get('watcher').getResult(),
      getNewDurandal: () => newDur,
      pingback: handler => {
        counter += 1;
        return E(handler).ping(`v2 ping ${counter}`);
      },
    }),
  );
};
