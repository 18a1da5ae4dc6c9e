import { Far } from '@endo/far';

export function buildRootObject(vatPowers) {
  const { testLog: log } = vatPowers;
  return Far('x', {
    watch(p) {
      return p.then(v => {
        log(`x saw p1 settle: ${v}`);
        return `saw ${v}`;
      });
    },
    answer(v) {
      log(`x answers ${v}`);
      return `answer ${v}`;
    },
  });
}
