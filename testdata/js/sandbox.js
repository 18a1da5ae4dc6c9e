// A vat that looks for the host: everything here must be unavailable or inert.
import { Far } from '@endo/far';

const attempt = f => {
  try {
    return `ok ${String(f())}`;
  } catch (e) {
    return `threw ${e.name}`;
  }
};

export function buildRootObject() {
  return Far('sandbox', {
    probe: () =>
      harden({
        dateNow: attempt(() => Date.now()),
        newDate: attempt(() => String(new Date())),
        fixedDate: attempt(() => new Date(Date.UTC(2020, 0, 2)).getHours()),
        random: attempt(() => Math.random()),
        eval: typeof globalThis.eval,
        fn: attempt(() => Function('return 1')()),
        asyncFn: attempt(() => (async () => {}).constructor('return 1')),
        frozenProto: Object.isFrozen(Array.prototype),
        require: typeof require,
        process: typeof process,
      }),
  });
}
