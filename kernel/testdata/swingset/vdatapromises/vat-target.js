// Promises in virtual collections and virtual object state: imported
// promises and result promises stored before and after they settle, the
// vat's own promises stored, exported while stored, deleted and stored
// again, compared for identity after a trip through the vatstore.
import { Far, E } from '@endo/far';
import { makePromiseKit } from '@endo/promise-kit';
import { defineKind, makeScalarBigMapStore } from '@agoric/vat-data';

export function buildRootObject() {
  const vc = makeScalarBigMapStore('vc');
  const pending = new Map();
  const imports = [];
  const results = [];
  const tryDo = f => {
    try {
      return f();
    } catch (e) {
      return `${e.name}: ${e.message}`;
    }
  };
  const makeBox = defineKind('box', p => ({ p }), {
    get: ({ state }) => state.p,
    put: ({ state }, p) => {
      state.p = p;
    },
  });

  return Far('root', {
    importStep1(p1, p2, p3) {
      imports.push(p1);
      vc.init('p2', p2);
      const p2a = vc.get('p2');
      vc.delete('p2');
      imports.push(p2, p2a);
      vc.init('p3', p3);
      imports.push(p3);
      return [p2 === p2a];
    },
    importStep2() {
      const p3a = vc.get('p3');
      imports.push(p3a);
      vc.delete('p3');
      return Promise.all(imports);
    },
    eventually(n) {
      const kit = makePromiseKit();
      pending.set(n, kit);
      return kit.promise;
    },
    resultStep1(p4, p5, p6) {
      results.push(p4);
      vc.init('p5', p5);
      const p5a = vc.get('p5');
      vc.delete('p5');
      results.push(p5, p5a);
      vc.init('p6', p6);
      results.push(p6);
    },
    settle() {
      for (const [n, kit] of pending) kit.resolve(n);
      return pending.size;
    },
    resultStep2() {
      const p6a = vc.get('p6');
      results.push(p6a);
      vc.delete('p6');
      return Promise.all(results);
    },
    async storeTest(subscriber) {
      const is = {};
      const kit = () => makePromiseKit();
      const tick = () => Promise.resolve();

      // stored, fetched, deleted, then resolved
      const k7 = kit();
      vc.init('p7', k7.promise);
      is.p7 = vc.get('p7') === k7.promise;
      vc.delete('p7');
      k7.resolve(7);

      // stored, resolved, fetched after it settles
      const k8 = kit();
      vc.init('p8', k8.promise);
      k8.resolve(8);
      await k8.promise;
      is.p8 = vc.get('p8') === k8.promise;
      is.p8value = await vc.get('p8');
      vc.delete('p8');

      // stored, exported, resolved, fetched
      const k9 = kit();
      vc.init('p9', k9.promise);
      E(subscriber).subscribe('p9', k9.promise);
      await tick();
      k9.resolve(9);
      await k9.promise;
      is.p9 = vc.get('p9') === k9.promise;
      vc.delete('p9');

      // stored, resolved, exported, fetched
      const k10 = kit();
      vc.init('p10', k10.promise);
      k10.resolve(10);
      await k10.promise;
      E(subscriber).subscribe('p10', k10.promise);
      await tick();
      is.p10 = vc.get('p10') === k10.promise;
      vc.delete('p10');

      // stored, exported, deleted, then resolved
      const k11 = kit();
      vc.init('p11', k11.promise);
      E(subscriber).subscribe('p11', k11.promise);
      await tick();
      vc.delete('p11');
      k11.resolve(11);

      // stored, exported, deleted, stored again, resolved, deleted
      const k12 = kit();
      vc.init('p12', k12.promise);
      E(subscriber).subscribe('p12', k12.promise);
      await tick();
      vc.delete('p12');
      vc.init('p12', k12.promise);
      k12.resolve(12);
      await k12.promise;
      is.p12 = vc.get('p12') === k12.promise;
      vc.delete('p12');

      // exported first, then stored, rejected, fetched
      const k13 = kit();
      E(subscriber).subscribe('p13', k13.promise);
      await tick();
      vc.init('p13', k13.promise);
      k13.reject(Error('thirteen'));
      await k13.promise.catch(() => 0);
      is.p13 = vc.get('p13') === k13.promise;
      vc.delete('p13');

      // the same promise under two keys
      const k14 = kit();
      vc.init('p14a', k14.promise);
      vc.init('p14b', k14.promise);
      is.p14 = vc.get('p14a') === vc.get('p14b');
      k14.resolve(14);
      is.p14value = await vc.get('p14b');
      vc.delete('p14a');
      vc.delete('p14b');
      is.size = vc.getSize();
      return is;
    },
    async stateTest() {
      const k = makePromiseKit();
      const box = makeBox(k.promise);
      const same = box.get() === k.promise;
      k.resolve('boxed');
      const v = await box.get();
      const k2 = makePromiseKit();
      box.put(k2.promise);
      const same2 = box.get() === k2.promise;
      k2.resolve('reboxed');
      const durable = makeScalarBigMapStore('d', { durable: true });
      const err = tryDo(() => durable.init('p', k2.promise));
      return [same, v, same2, await box.get(), err];
    },
    async rejectTest() {
      const k = makePromiseKit();
      vc.init('rej', k.promise);
      k.reject(Error('no'));
      const got = vc.get('rej');
      const r = await got.then(
        () => 'fulfilled',
        e => `rejected: ${e.message}`,
      );
      vc.delete('rej');
      return [got === k.promise, r];
    },
  });
}
