import { Far } from '@endo/far';
import { makePromiseKit } from '@endo/promise-kit';

export function buildRootObject() {
  const kit = makePromiseKit();
  let x;
  return Far('y', {
    getX(target) {
      x = target;
      return kit.promise;
    },
    release() {
      kit.resolve(x);
    },
  });
}
