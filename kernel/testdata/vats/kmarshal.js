// Uses @agoric/kmarshal as SwingSet's raw-capdata test vats do.
import { Far } from '@endo/far';
import { kser, kunser, kslot, krefOf } from '@agoric/kmarshal';

export function buildRootObject(vatPowers) {
  const { testLog: log } = vatPowers;
  return Far('kmarshal', {
    roundTrip() {
      const cd = kser(harden({ n: 1n, s: '#hash', thing: kslot('ko5', 'Alleged: thing'), p: kslot('kp7') }));
      log(`body ${cd.body}`);
      log(`slots ${cd.slots.join(',')}`);
      const back = kunser(cd);
      log(`back ${typeof back.n} ${back.s} ${krefOf(back.thing)} ${krefOf(back.p)}`);
      return 'ok';
    },
  });
}
