// A static vat that ends itself, for the exit tests: exitVat or
// exitVatWithFailure, with work of its own still pending.
import { Far } from '@endo/far';
import { makePromiseKit } from '@endo/promise-kit';

export function buildRootObject(vatPowers) {
  const hanging = makePromiseKit();
  return Far('exiter', {
    hang: () => hanging.promise,
    bye: value => {
      vatPowers.exitVat(value);
      return 'said bye';
    },
    fail: reason => {
      vatPowers.exitVatWithFailure(Error(reason));
      return 'failed';
    },
    echo: x => x,
  });
}
