// A vat that imports @agoric/kmarshal, as SwingSet test vats do, without
// using it: it must load.
import { Far } from '@endo/far';
import { kser } from '@agoric/kmarshal';

export function buildRootObject() {
  return Far('root', { ping: () => (typeof kser === 'function' ? 'pong' : 'no kser') });
}
