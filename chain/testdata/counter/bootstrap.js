// The chain tests' bootstrap vat: the only vat a client key reaches by
// default. It forwards to the counter vat, so most calls take several cranks.
import { Far, E } from '@endo/far';
import { makePromiseKit } from '@endo/promise-kit';

export function buildRootObject() {
  let counter;
  const waiting = [];
  return Far('bootstrap', {
    bootstrap(vats) {
      counter = vats.counter;
      return 'ready';
    },
    incr(n = 1) {
      return E(counter).add(n);
    },
    get() {
      return E(counter).get();
    },
    echo(...args) {
      return harden(args);
    },
    fail(why) {
      throw Error(why);
    },
    // relay adds 1 to the counter n times, one after the other: 2n cranks.
    relay(n) {
      let p = E(counter).add(1);
      for (let i = 1; i < n; i += 1) {
        p = p.then(() => E(counter).add(1));
      }
      return p;
    },
    // wait settles only when a later call says release.
    wait() {
      const kit = makePromiseKit();
      waiting.push(kit);
      return kit.promise;
    },
    release(v) {
      const kits = waiting.splice(0);
      kits.forEach(kit => kit.resolve(v));
      return kits.length;
    },
  });
}
