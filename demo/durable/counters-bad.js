// A broken version 3: it forgets to re-prepare the Counter kind, so the
// upgrade fails and version 2 runs on.
import { M } from '@endo/patterns';
import { prepareExo } from '@agoric/vat-data';

export function buildRootObject(vatPowers, vatParameters, baggage) {
  return prepareExo(baggage, 'Counters', undefined, { incr: () => 0 });
}
