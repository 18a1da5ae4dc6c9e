// The vat the JS scenarios send to.
import { Far } from '@endo/far';
import { makePromiseKit } from '@endo/promise-kit';

export function buildRootObject() {
  let pending;
  return Far('target', {
    echo: x => x,
    data: () => 42,
    makeThing: () => Far('thing', { hi: () => 'hi from thing' }),
    later() {
      pending = makePromiseKit();
      return pending.promise;
    },
    release(v) {
      pending.resolve(v);
    },
    fail() {
      throw Error('target failed on purpose');
    },
    watch: p => p.then(v => `saw ${v}`),
    kinds: () => harden({
      big: 10n ** 30n,
      neg: -0,
      nan: NaN,
      inf: -Infinity,
      undef: undefined,
      nested: [1, 'two', { three: [3n] }, null, true],
      err: TypeError('typed'),
    }),
  });
}
