// Bootstrap: introduce alice to bob.
import { Far, E } from '@endo/far';

export function buildRootObject() {
  return Far('bootstrap', {
    async bootstrap(vats) {
      await E(vats.alice).setPeer(vats.bob);
      console.log('alice knows bob');
      return 'ready';
    },
  });
}
