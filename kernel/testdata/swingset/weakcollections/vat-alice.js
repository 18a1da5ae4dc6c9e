// Weak collections (the language's WeakMap and WeakSet, @agoric/store's
// heap weak stores, vat-data's virtual and durable weak stores) keyed by
// imports, imported promises, and this vat's own exports: remotables,
// virtual and durable objects and promises, some of which the vat stops
// referring to.
import { Far } from '@endo/far';
import { makeScalarWeakMapStore, makeScalarWeakSetStore } from '@agoric/store';
import {
  defineKind,
  defineDurableKind,
  makeKindHandle,
  makeScalarBigWeakMapStore,
  makeScalarBigWeakSetStore,
} from '@agoric/vat-data';

export function buildRootObject(_vatPowers, _vatParameters, baggage) {
  const makeHolder = defineKind('holder-vo', value => ({ value }), {
    getValue: ({ state }) => state.value,
  });
  const makeDurHolder = defineDurableKind(makeKindHandle('holder-do'), value => ({ value }), {
    getValue: ({ state }) => state.value,
  });
  const weakMap = new WeakMap();
  const weakSet = new WeakSet();
  const heapMap = makeScalarWeakMapStore('heapMap');
  const heapSet = makeScalarWeakSetStore('heapSet');
  const virtMap = makeScalarBigWeakMapStore('virtMap');
  const virtSet = makeScalarBigWeakSetStore('virtSet');
  const durMap = makeScalarBigWeakMapStore('durMap', { durable: true });
  baggage.init('durMap', durMap);
  let kept;

  const tryDo = f => {
    try {
      return f();
    } catch (e) {
      return `${e.name}: ${e.message}`;
    }
  };

  return Far('root', {
    prepare(theirStuff) {
      kept = [Far('remember-exp', {}), makeHolder('remember-vo'), new Promise(() => {}), makeDurHolder('remember-do')];
      const forgotten = [Far('forget-exp', {}), makeHolder('forget-vo'), new Promise(() => {}), makeDurHolder('forget-do')];
      const mine = [...kept, ...forgotten];
      const labels = ['mer', 'mevo', 'mep', 'medo', 'fer', 'fevo', 'fep', 'fedo'];
      theirStuff.forEach((item, i) => {
        weakMap.set(item, `imported #${i}`);
        weakSet.add(item);
      });
      mine.forEach((item, i) => {
        weakMap.set(item, labels[i]);
        weakSet.add(item);
      });
      // stores take remotables only (no promises)
      const storeKeys = [theirStuff[0], ...mine.filter((_, i) => i % 4 !== 2)];
      storeKeys.forEach((item, i) => {
        const label = i === 0 ? 'imported #0' : `store ${i}`;
        heapMap.init(item, label);
        heapSet.add(item);
        virtMap.init(item, label);
        virtSet.add(item);
      });
      durMap.init(theirStuff[0], 'imported #0');
      durMap.init(mine[3], 'medo');
      durMap.init(mine[7], 'fedo');
      return mine;
    },
    probeWeakMap: probe => weakMap.get(probe),
    probeWeakSet: probe => weakSet.has(probe),
    probeStores: probe =>
      tryDo(() => [
        heapMap.has(probe) && heapMap.get(probe),
        heapSet.has(probe),
        virtMap.has(probe) && virtMap.get(probe),
        virtSet.has(probe),
        durMap.has(probe) && durMap.get(probe),
      ]),
    storeErrors: () => {
      const p = harden(Promise.resolve('x'));
      return [
        tryDo(() => virtMap.init(p, 1)),
        tryDo(() => virtSet.add('string key')),
        tryDo(() => heapMap.init(harden({ a: 1 }), 1)),
        tryDo(() => virtMap.init(kept[0], 'again')),
        tryDo(() => virtMap.get(Far('never', {}))),
        tryDo(() => durMap.init(kept[0], 'not durable key')),
        tryDo(() => durMap.init(kept[3], kept[1])),
        typeof virtMap.keys,
        tryDo(() => typeof virtMap.getSize),
      ];
    },
    // a key that is not hardened
    nonFrozenKey: () => tryDo(() => virtMap.init(Promise.resolve('y'), 1)),
    deleteKeys: obj => {
      weakMap.delete(obj);
      weakSet.delete(obj);
      heapMap.delete(obj);
      heapSet.delete(obj);
      virtMap.delete(obj);
      virtSet.delete(obj);
      durMap.delete(obj);
      return [weakMap.has(obj), heapMap.has(obj), virtMap.has(obj), durMap.has(obj), tryDo(() => virtMap.delete(obj))];
    },
  });
}
