// Loops forever in spin(): only an interrupt (or a meter) ends it.
import { Far } from '@endo/far';

export function buildRootObject() {
  let n = 0;
  return Far('spinner', {
    spin() {
      n += 1;
      console.log('spinning');
      for (;;) {
        n += 0;
      }
    },
    count() {
      return n;
    },
  });
}
