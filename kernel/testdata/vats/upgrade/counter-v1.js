// Incarnation 1 of an upgradable counter: its count lives in the baggage.
import { Far } from '@endo/far';

export function buildRootObject(vatPowers, vatParameters, baggage) {
  const { testLog: log } = vatPowers;
  if (!baggage.has('count')) {
    baggage.init('count', 0);
  }
  log(`v1 start, count ${baggage.get('count')}`);
  return Far('counter', {
    version() {
      return 'v1';
    },
    incr() {
      const n = baggage.get('count') + 1;
      baggage.set('count', n);
      return n;
    },
    // An ephemeral object: abandoned by an upgrade.
    makeThing() {
      return Far('thing', { ping: () => 'pong' });
    },
    // A result this incarnation decides and never settles.
    hang() {
      return new Promise(() => {});
    },
  });
}
