// Logs on every call (testLog and console), for the replay tests: a
// replayed delivery must not log again.
import { Far } from '@endo/far';

export function buildRootObject(vatPowers) {
  let n = 0;
  return Far('logger', {
    log(word) {
      n += 1;
      vatPowers.testLog(`${word} ${n}`);
      console.log(`console ${n}`);
      return n;
    },
  });
}
