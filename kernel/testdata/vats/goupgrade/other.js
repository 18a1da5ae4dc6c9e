// Logs what it is told.
import { Far } from '@endo/far';

export function buildRootObject(vatPowers) {
  return Far('other', {
    release(v) {
      vatPowers.testLog(`other: released ${v}`);
    },
  });
}
