// Hands out promises and settles them when told.
import { Far } from '@endo/far';
import { makePromiseKit } from '@endo/promise-kit';

export function buildRootObject() {
  const kits = [];
  return Far('other', {
    hang() {
      const kit = makePromiseKit();
      kits.push(kit);
      return kit.promise;
    },
    release(v) {
      for (const kit of kits.splice(0)) kit.resolve(v);
      return 'released';
    },
  });
}
