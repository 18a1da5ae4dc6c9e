// Hands the kernel more than its limits allow, each in one delivery.
import { Far, E } from '@endo/far';

export function buildRootObject(vatPowers, _params, baggage) {
  const { testLog: log } = vatPowers;
  let received = 0;
  let vats;
  return Far('limits', {
    bootstrap(v) {
      vats = v;
    },
    // Asks vat `from` to run method against vat `to`; answers how it went.
    order(from, method, to, n) {
      return E(vats[from])[method](vats[to], n).then(
        r => r,
        e => `${from} failed: ${e.message}`,
      );
    },
    // Sends a string of n bytes to target.
    sendBig(target, n) {
      E(target).take('x'.repeat(n));
      return 'sent';
    },
    // Sends n small messages to target.
    flood(target, n) {
      for (let i = 0; i < n; i += 1) {
        E(target).take(i);
      }
      return 'flooded';
    },
    // Sends n messages of 900 bytes each to target.
    floodBig(target, n) {
      for (let i = 0; i < n; i += 1) {
        E(target).take('z'.repeat(900));
      }
      return 'flooded';
    },
    // Answers a string of n bytes.
    bigAnswer: n => 'a'.repeat(n),
    // Ends the vat with a completion value of n bytes.
    exitBig(n) {
      vatPowers.exitVat('e'.repeat(n));
      return 'exiting';
    },
    // Sends one message carrying n new objects.
    sendObjects(target, n) {
      const objs = [];
      for (let i = 0; i < n; i += 1) {
        objs.push(Far(`o${i}`, {}));
      }
      E(target).take(harden(objs));
      return 'sent';
    },
    // Keeps value under key in the baggage (the vatstore).
    stash(key, value) {
      baggage.init(key, value);
    },
    take(x) {
      received += 1;
    },
    count() {
      log(`received ${received}`);
      return received;
    },
  });
}
