// A bank written with zones (@agoric/zone): its accounts are durable exos
// in a durable map, its owners in a sub-zone's set, its version made once.
import { M } from '@endo/patterns';
import { makeDurableZone } from '@agoric/zone/durable.js';
import { makeHeapZone } from '@agoric/zone';

export function buildRootObject(vatPowers, vatParameters, baggage) {
  const zone = makeDurableZone(baggage);
  const heap = makeHeapZone();
  const accounts = zone.mapStore('accounts');
  const makeAccount = zone.exoClass(
    'Account',
    M.interface('Account', { deposit: M.call(M.number()).returns(M.number()) }),
    owner => ({ owner, balance: 0 }),
    {
      deposit(n) {
        this.state.balance += n;
        return this.state.balance;
      },
    },
  );
  const owners = zone.subZone('audit').setStore('owners');
  const firstVersion = zone.makeOnce('firstVersion', () => 'v1');
  const seen = heap.mapStore('seen');
  const errorOf = f => {
    try {
      f();
      return 'no error';
    } catch (e) {
      return e.message;
    }
  };
  return zone.exo('Bank', undefined, {
    version: () => `v1 (first ${firstVersion})`,
    open(owner) {
      const a = makeAccount(owner);
      accounts.init(owner, a);
      owners.add(owner);
      seen.init(owner, true);
      return a;
    },
    deposit: (owner, n) => accounts.get(owner).deposit(n),
    owners: () => [...owners.keys()],
    seen: () => seen.getSize(),
    twice: () => errorOf(() => zone.mapStore('accounts')),
  });
}
