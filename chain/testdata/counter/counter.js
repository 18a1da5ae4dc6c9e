// A counter; no client key is granted to call it directly.
import { Far } from '@endo/far';

export function buildRootObject() {
  let count = 0;
  return Far('counter', {
    add(k) {
      count += k;
      return count;
    },
    get() {
      return count;
    },
  });
}
