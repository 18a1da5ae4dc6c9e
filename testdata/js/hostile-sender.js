// Sends what the kernel's default limits refuse: one huge string, or more
// messages in one delivery than allowed (to the vat named to).
import { Far, E } from '@endo/far';

export function buildRootObject() {
  let vats;
  let received = 0;
  return Far('sender', {
    bootstrap(v) {
      vats = v;
    },
    sendHuge(to, n) {
      E(vats[to]).take('x'.repeat(n));
      return 'sent';
    },
    flood(to, n) {
      for (let i = 0; i < n; i += 1) E(vats[to]).take(i);
      return 'flooded';
    },
    take() {
      received += 1;
    },
    count: () => received,
  });
}
