// A counter that can also burn computrons and be asked to wait forever.
import { Far } from '@endo/far';

export function buildRootObject() {
  let count = 0;
  return Far('busy', {
    increment() {
      count += 1;
      return count;
    },
    add(k) {
      count += k;
      return count;
    },
    work(n) {
      let s = 0;
      for (let i = 0; i < n; i += 1) {
        s += i;
      }
      return s;
    },
    later: () => new Promise(() => {}),
    fail() {
      throw Error('busy failed');
    },
  });
}
