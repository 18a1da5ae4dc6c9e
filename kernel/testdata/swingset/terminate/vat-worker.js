import { Far, E } from '@endo/far';
import { makePromiseKit } from '@endo/promise-kit';

export function buildRootObject(vatPowers) {
  const { testLog: log } = vatPowers;
  return Far('worker', {
    echo(n) {
      log(`worker echo ${n}`);
      return `echo ${n}`;
    },
    hang() {
      return makePromiseKit().promise;
    },
    async ask(other, tag) {
      log(`worker asks ${tag}`);
      const a = await E(other).answer(tag);
      log(`worker heard ${a}`);
      return a;
    },
    exit(completion) {
      vatPowers.exitVat(completion);
    },
    fail(reason) {
      vatPowers.exitVatWithFailure(reason);
    },
    exitThenSend(other, completion) {
      vatPowers.exitVat(completion);
      E(other).answer('after exit');
    },
    failThenSend(other, reason) {
      vatPowers.exitVatWithFailure(reason);
      E(other).answer('after failure');
    },
    exitWithPresence(other) {
      vatPowers.exitVat({ note: 'bye', who: other });
    },
  });
}
