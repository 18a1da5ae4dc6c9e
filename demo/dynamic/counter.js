// A counter vat, created at run time from a bundle. Its count lives in RAM:
// after a restart it comes back by transcript replay.
import { Far } from '@endo/far';

export function buildRootObject(_vatPowers, vatParameters = {}) {
  const { label = 'counter', start = 0 } = vatParameters;
  let count = start;
  return Far('counter', {
    increment() {
      count += 1;
      return count;
    },
    add(k) {
      count += k;
      return count;
    },
    get() {
      return count;
    },
    label() {
      return label;
    },
  });
}
