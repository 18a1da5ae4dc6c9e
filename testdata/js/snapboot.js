// Bootstrap of the snapshot tests: the two snap vats know each other.
import { Far, E } from '@endo/far';

export function buildRootObject() {
  return Far('snapboot', {
    bootstrap: async vats => {
      await E(vats.a).setPeer(vats.b);
      await E(vats.b).setPeer(vats.a);
    },
  });
}
