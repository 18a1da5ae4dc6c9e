import { Far } from '@endo/far';
import { double, counter } from './lib.js';

export function buildRootObject(vatPowers) {
  const c = counter();
  return Far('root', {
    async twice(n) {
      await null;
      return double(n);
    },
    async count() {
      let total = 0;
      for await (const v of c) {
        total += v;
      }
      return total;
    },
  });
}
