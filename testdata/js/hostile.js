// The hostile probes of issue 13: each method is one delivery that tries to
// take the host down with work hidden inside built-ins.
import { Far } from '@endo/far';

export function buildRootObject() {
  return Far('hostile', {
    ok: () => 1,
    bigArray: () => new Array(1e8).fill(0).length,
    bigRepeat: () => 'x'.repeat(2 ** 30).length,
    applyHuge: () => Math.max.apply(null, { length: 1e8 }),
    bigJoin: () => new Uint8Array(1000).join('y'.repeat(1e6)).length,
    hugeLength() {
      const a = [];
      a.length = 2 ** 32 - 1;
      return a;
    },
    regexBomb: () => /^(a+)+b(?=c)/.test('a'.repeat(30)),
    manyKeys() {
      const o = {};
      for (let i = 0; i < 2e7; i += 1) o[`k${i}`] = i;
      return Object.keys(o).length;
    },
    recurse() {
      const f = k => f(k + 1) + 1;
      return f(0);
    },
    jsonDeep: () => JSON.parse('['.repeat(1e6) + ']'.repeat(1e6)).length,
    sortBomb: () => Array.from({ length: 1e6 }, (_, i) => -i).sort((a, b) => a - b).length,
    caughtOOM() {
      let n = 0;
      try {
        const a = [];
        for (;;) a.push('x'.repeat(1e5) + n++);
      } catch (e) {
        n = -1;
      }
      return n;
    },
  });
}
