// Allocates on demand, to show per-vat memory limits.
import { Far } from '@endo/far';

export function buildRootObject() {
  return Far('mem', {
    alloc: n => new Array(n).fill(0).length,
  });
}
