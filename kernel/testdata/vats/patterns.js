// A vat keeping its state in heap stores behind an exo with guards
// (@agoric/store, @endo/exo, @endo/patterns): replays to the same state.
import { M } from '@endo/patterns';
import { makeScalarMapStore, makeScalarSetStore } from '@agoric/store';
import { makeExo } from '@endo/exo';

export function buildRootObject() {
  const balances = makeScalarMapStore('account', { keyShape: M.string(), valueShape: M.and(M.number(), M.gte(0)) });
  const frozen = makeScalarSetStore('frozen');
  return makeExo(
    'Ledger',
    M.interface('Ledger', {
      open: M.call(M.string()).returns(M.number()),
      pay: M.call(M.string(), M.string(), M.and(M.number(), M.gte(0))).returns(M.number()),
      freeze: M.call(M.string()).returns(),
      report: M.call().optional(M.boolean()).returns(M.arrayOf(M.string())),
    }),
    {
      open(name) {
        balances.init(name, 100);
        return balances.get(name);
      },
      pay(from, to, amount) {
        !frozen.has(from) || assert.fail(`${from} is frozen`);
        const toBalance = balances.get(to);
        const left = balances.get(from) - amount;
        left >= 0 || assert.fail(`${from} has not enough`);
        balances.set(from, left);
        balances.set(to, toBalance + amount);
        return left;
      },
      freeze(name) {
        frozen.add(name);
      },
      report(onlyFrozen = false) {
        const keyPatt = onlyFrozen ? M.or(...frozen.keys()) : M.any();
        return [...balances.entries(keyPatt)].map(([k, v]) => `${k}=${v}${frozen.has(k) ? ' (frozen)' : ''}`);
      },
    },
  );
}
