// A SwingSet test vat's helper import that Cooper does not build in.
import { Far } from '@endo/far';
import { makeTracer } from '@agoric/internal';
export function buildRootObject() {
  const trace = makeTracer('vat');
  return Far('root', { hi: () => trace('hi') });
}
