// An exo used from another vat: its guard errors reach the caller.
import { Far } from '@endo/far';
import { M } from '@endo/patterns';
import { makeExo } from '@endo/exo';

export function buildRootObject() {
  const counter = makeExo(
    'RemoteCounter',
    M.interface('RemoteCounter', {
      incr: M.call(M.nat()).returns(M.nat()),
      later: M.callWhen(M.await(M.number())).returns(M.number()),
    }),
    {
      incr(n) {
        return n + 1n;
      },
      later(n) {
        return n * 2;
      },
    },
  );
  return Far('root', { getCounter: () => counter });
}
