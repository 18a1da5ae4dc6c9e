// A durable big map in baggage, filled in batches: its entries live in the
// vatstore, not in the vat's heap.
import { Far } from '@endo/far';
import { M } from '@endo/patterns';
import { provideDurableMapStore } from '@agoric/vat-data';

export function buildRootObject(vatPowers, vatParameters, baggage) {
  const big = provideDurableMapStore(baggage, 'big');
  return Far('big', {
    fill(from, n) {
      for (let i = from; i < from + n; i += 1) {
        big.init(i, `v${i}`);
      }
      return big.getSize();
    },
    get: i => big.get(i),
    size: () => big.getSize(),
    // The keys in [lo, hi], through the pattern's rank cover.
    range: (lo, hi) => harden([...big.keys(M.and(M.gte(lo), M.lte(hi)))]),
    // The first n keys, in key order.
    firstKeys(n) {
      const out = [];
      for (const k of big.keys()) {
        if (out.length >= n) break;
        out.push(k);
      }
      return harden(out);
    },
  });
}
