// buildRootObject answers a promise that never settles.
import { makePromiseKit } from '@endo/promise-kit';

export function buildRootObject() {
  return makePromiseKit().promise;
}
