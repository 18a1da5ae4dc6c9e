// First incarnation: ephemeral, merely virtual and durable objects and
// collections holding imports, baggage entries, promises this vat decides
// (one watched durably), and a promise it imports.
import { Far, E } from '@endo/far';
import { makePromiseKit } from '@endo/promise-kit';
import {
  makeKindHandle,
  defineDurableKind,
  defineDurableKindMulti,
  defineKind,
  makeScalarBigMapStore,
  makeScalarBigWeakMapStore,
  watchPromise,
} from '@agoric/vat-data';

const initHolder = (name, imp, value) => harden({ name, imp, value });
const holderMethods = {
  get: ({ state }) => state.value,
  getImport: ({ state }) => state.imp,
  set: ({ state }, value) => {
    state.value = value;
  },
};
const watcherMethods = {
  onFulfilled: ({ state }, data) => {
    state.result = harden(['fulfill', data]);
  },
  onRejected: ({ state }, reason) => {
    state.result = harden(['reject', reason]);
  },
  getResult: ({ state }) => state.result,
};

export const buildRootObject = (vatPowers, vatParameters, baggage) => {
  const durandalHandle = makeKindHandle('durandal');
  const makeVir = defineKind('virtual', initHolder, holderMethods);
  const makeDur = defineDurableKind(durandalHandle, initHolder, holderMethods);
  const watcherHandle = makeKindHandle('watcher');
  const makeWatcher = defineDurableKind(watcherHandle, () => harden({ result: ['unresolved'] }), watcherMethods);

  const { promise: p1 } = makePromiseKit();
  const { promise: p2 } = makePromiseKit();
  const { promise: p3 } = makePromiseKit();
  const watcher = makeWatcher();
  watchPromise(p3, watcher);
  baggage.init('watcher', watcher);
  baggage.init('wh', watcherHandle);
  baggage.init('durandalHandle', durandalHandle);
  baggage.init('data', harden(['some', 'data']));
  let heldPromise;
  let counter = 0;

  const getExports = imp => {
    const dur1 = makeDur('d1', imp[1], { name: 'd1' });
    const vir2 = makeVir('v2', imp[2], { name: 'v2' });
    const vir3 = makeVir('v3', imp[3], { name: 'v3' });
    vir2.set(harden({ name: 'v2', friend: vir3, dur: dur1 }));
    const vc1 = makeScalarBigMapStore('vc1');
    const vc2 = makeScalarBigMapStore('vc2');
    vc1.init('vc2', vc2);
    vc2.init('vc1', vc1);
    vc2.init(imp[3], dur1);
    const dc4 = makeScalarBigMapStore('dc4', { durable: true });
    dc4.init(imp[4], makeDur('d4', imp[4], { name: 'd4' }));
    dc4.init('self', makeDur('d4b', null, { name: 'd4b' }));
    const dc5 = makeScalarBigWeakMapStore('dc5', { durable: true });
    dc5.init(imp[5], makeDur('d5', imp[5], { name: 'd5' }));
    baggage.init('dc5', dc5);
    baggage.init('imp6', imp[6]);
    const rem1 = Far('rem1', { get: () => [imp[0], vir3, vc1] });
    return { dur1, vir2, vc1, dc4, rem1 };
  };

  return Far('root', {
    getVersion: () => 'v1',
    getParameters: () => vatParameters,
    acceptPresence: pres => baggage.init('presence', pres),
    getPresence: () => baggage.get('presence'),
    getData: () => baggage.get('data'),
    makeDurandal: arg => makeDur('durandal', 0, arg),
    getExports,
    acceptPromise: p => {
      heldPromise = p;
      heldPromise.catch(() => 'hush');
    },
    heldPromiseSeen: () => (heldPromise ? heldPromise.then(v => `v1 saw ${v}`) : 'none'),
    getEternalPromiseInArray: () => [p1],
    getEternalPromise: () => p2,
    getWatchedDecidedPromise: () => p3,
    makeSingleKind: () => {
      const kh = makeKindHandle('kind');
      baggage.init('kh', kh);
      defineDurableKind(kh, () => ({}), {});
      return 'single';
    },
    makeMultiKind: () => {
      const kh = makeKindHandle('kind');
      baggage.init('kh', kh);
      defineDurableKindMulti(kh, () => ({}), { foo: {}, bar: {} });
      return 'multi';
    },
    pingback: handler => {
      counter += 1;
      return E(handler).ping(`v1 ping ${counter}`);
    },
  });
};
