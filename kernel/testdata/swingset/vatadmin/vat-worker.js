import { Far } from '@endo/far';
import { makePromiseKit } from '@endo/promise-kit';

export function buildRootObject(vatPowers) {
  const { testLog: log } = vatPowers;
  return Far('worker', {
    echo(n) {
      log(`worker echo ${n}`);
      return `echo ${n}`;
    },
    hang() {
      return makePromiseKit().promise;
    },
  });
}
