// Drives the things vat: keeps the representatives it hands out under
// names and passes them back in later calls, as SwingSet's
// representatives test passes krefs back to its vat.
import { Far, E } from '@endo/far';

export function buildRootObject() {
  let things;
  const held = new Map();
  const show = p => p.catch(e => `rejected: ${e.message}`);
  // args naming a held object ("@name") are replaced by that object.
  const resolve = args => args.map(a => (typeof a === 'string' && a.startsWith('@') ? held.get(a.slice(1)) : a));
  return Far('boot', {
    bootstrap(vats) {
      things = vats.things;
    },
    // things.method(...args); a returned object is kept under `keep`.
    async call(method, args = [], keep = undefined) {
      const r = await show(E(things)[method](...resolve(args)));
      if (keep !== undefined) {
        held.set(keep, r);
        return `kept ${keep}`;
      }
      return r;
    },
    // method(...args) on a kept object; a returned object is kept under `keep`.
    async use(name, method, args = [], keep = undefined) {
      const r = await show(E(held.get(name))[method](...resolve(args)));
      if (keep !== undefined) {
        held.set(keep, r);
        return `kept ${keep}`;
      }
      return r;
    },
    same(a, b) {
      return held.get(a) === held.get(b);
    },
    describe(name) {
      return `${held.get(name)}`;
    },
  });
}
