// Sends the target vat promises it decides, result promises of calls to
// the target, and a subscriber that hears the target's own promises.
import { Far, E } from '@endo/far';
import { makePromiseKit } from '@endo/promise-kit';

export function buildRootObject() {
  let target;
  const kits = [makePromiseKit(), makePromiseKit(), makePromiseKit()];
  const heard = [];
  const subscriber = Far('subscriber', {
    subscribe(name, p) {
      heard.push(p.then(v => [name, v], e => [name, `rejected: ${e.message}`]));
    },
  });
  const show = p => p.catch(e => `rejected: ${e.message}`);
  return Far('boot', {
    bootstrap(vats) {
      target = vats.target;
    },
    importStep1() {
      E(target).importStep1(...kits.map(k => k.promise));
      return 'sent';
    },
    importStep2() {
      kits.forEach((k, i) => k.resolve(i + 1));
      return 'resolved';
    },
    importStep3() {
      return show(E(target).importStep2());
    },
    resultStep1() {
      const ps = [E(target).eventually(4), E(target).eventually(5), E(target).eventually(6)];
      E(target).resultStep1(...ps);
      return 'sent';
    },
    resultStep2() {
      return E(target).settle();
    },
    resultStep3() {
      return show(E(target).resultStep2());
    },
    async storeTest() {
      const is = await E(target).storeTest(subscriber);
      const entries = await Promise.all(heard);
      return { is, heard: Object.fromEntries(entries) };
    },
    stateTest() {
      return show(E(target).stateTest());
    },
    rejectTest() {
      return show(E(target).rejectTest());
    },
  });
}
