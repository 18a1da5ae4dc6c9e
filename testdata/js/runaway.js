// A vat with runaway methods: each must terminate this vat alone.
import { Far } from '@endo/far';

export function buildRootObject() {
  let n = 0;
  return Far('runaway', {
    ok: () => {
      n += 1;
      return n;
    },
    loop() {
      for (;;) {
        n += 1;
      }
    },
    catchLoop() {
      try {
        while (true) {
          n += 1;
        }
      } catch (e) {
        return 'escaped the meter';
      }
    },
    recurse() {
      const f = k => f(k + 1) + 1;
      return f(0);
    },
    bigString: () => 'x'.repeat(2 ** 29).length,
    doubling() {
      let s = 'x';
      for (;;) {
        s += s;
      }
    },
  });
}
