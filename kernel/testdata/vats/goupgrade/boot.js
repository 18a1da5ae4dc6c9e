// Hands the other vat to the Go keeper vat, which keeps it in its baggage.
import { Far, E } from '@endo/far';

export function buildRootObject() {
  return Far('boot', {
    bootstrap(vats) {
      return E(vats.keeper).keep(vats.other);
    },
  });
}
