// The bootstrap of the JS scenarios: each method plays one scenario and
// answers what it observed, as a string.
import { Far, E } from '@endo/far';
import { makePromiseKit } from '@endo/promise-kit';

const describe = p =>
  Promise.resolve(p).then(
    v => `fulfilled: ${JSON.stringify(v)}`,
    e => `rejected: ${e.message}`,
  );

export function buildRootObject(vatPowers) {
  let t1;
  let t2;
  return Far('driver', {
    bootstrap(vats) {
      t1 = vats.target1;
      t2 = vats.target2;
      vatPowers.testLog('driver ready');
      return 'ready';
    },
    message: () => describe(E(t1).echo('hello')),
    pipeline() {
      const thing = E(t1).makeThing();
      return describe(E(thing).hi());
    },
    sendToData: () => describe(E(E(t1).data()).foo()),
    sendToRejected: () => describe(E(E(t1).fail()).foo()),
    subscribers() {
      const { promise, resolve } = makePromiseKit();
      const both = Promise.all([E(t1).watch(promise), E(t2).watch(promise)]);
      resolve('the news');
      return describe(both);
    },
    queued() {
      const later = E(t1).later();
      const hi = E(later).hi();
      E(t1).release(E(t1).makeThing());
      return describe(hi);
    },
    computedName() {
      const m = 'ec' + 'ho';
      return describe(E(t1)[m]('computed'));
    },
    when: () => E.when(E(t1).echo(7), v => `when ${v}`),
    async kinds() {
      const k = await E(t1).kinds();
      return [
        typeof k.big, k.big === 10n ** 30n, Object.is(k.neg, 0), Number.isNaN(k.nan),
        k.inf === -Infinity, 'undef' in k && k.undef === undefined, k.nested[2].three[0] === 3n,
        k.err instanceof TypeError, k.err.message, Object.isFrozen(k),
      ].join(',');
    },
    identity: async () => {
      const a = await E(t1).makeThing();
      const b = await E(t1).echo(a);
      return a === b ? 'same presence' : 'different presences';
    },
  });
}
