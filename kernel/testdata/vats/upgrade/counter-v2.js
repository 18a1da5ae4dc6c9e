// Incarnation 2: same baggage, new behaviour, parameters logged.
import { Far } from '@endo/far';

export function buildRootObject(vatPowers, vatParameters, baggage) {
  const { testLog: log } = vatPowers;
  log(`v2 start, count ${baggage.get('count')}, params ${JSON.stringify(vatParameters)}`);
  return Far('counter', {
    version() {
      return 'v2';
    },
    incr() {
      const n = baggage.get('count') + 10;
      baggage.set('count', n);
      return n;
    },
  });
}
