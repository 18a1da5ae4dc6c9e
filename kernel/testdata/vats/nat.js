// Uses @endo/nat as SwingSet code does for amounts.
import { Far } from '@endo/far';
import { Nat, isNat } from '@endo/nat';

export function buildRootObject() {
  const errorOf = f => {
    try {
      return `${f()}`;
    } catch (e) {
      return `${e.name}: ${e.message}`;
    }
  };
  return Far('nat', {
    check: () =>
      harden([
        errorOf(() => Nat(3)),
        errorOf(() => Nat(5n)),
        errorOf(() => Nat(-1)),
        errorOf(() => Nat(1.5)),
        errorOf(() => Nat('7')),
        `${isNat(0)} ${isNat(-1n)} ${isNat(2 ** 53)}`,
      ]),
  });
}
