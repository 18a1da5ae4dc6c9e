import { Far } from '@endo/far';
export function buildRootObject() {
  return Far('broken', { oops( });
}
