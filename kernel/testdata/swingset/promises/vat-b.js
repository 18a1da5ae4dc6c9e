import { Far, E } from '@endo/far';
import { makePromiseKit } from '@endo/promise-kit';

export function buildRootObject(vatPowers) {
  const { testLog: log } = vatPowers;
  return Far('b', {
    settledInRecord() {
      const p = Promise.resolve('data');
      return harden({ p });
    },
    async settledAfterAwait() {
      const p = Promise.resolve('later data');
      await p;
      return harden({ p });
    },
    async takePromise(p) {
      return `took ${await p}`;
    },
    mutual() {
      const k1 = makePromiseKit();
      const k2 = makePromiseKit();
      k1.resolve(harden({ p: k2.promise }));
      k2.resolve(harden({ p: k1.promise }));
      return harden({ p: k1.promise });
    },
    pipe1() {
      log('pipe1');
      return Far('p1', {
        pipe2() {
          log('pipe2');
          return Far('p2', {
            pipe3() {
              log('pipe3');
              return 'done';
            },
          });
        },
      });
    },
    async echoLabel(thing) {
      return E(thing).label();
    },
  });
}
