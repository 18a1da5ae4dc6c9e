// Bootstrap of terminate.txt: makes dynamic exiter vats and ends them
// (their own exit, or vat-admin's terminateWithFailure), watching done().
import { Far, E } from '@endo/far';

export function buildRootObject(vatPowers) {
  const { testLog: log } = vatPowers;
  let svc;
  const vats = new Map();
  const outcome = p =>
    Promise.resolve(p).then(
      v => `fulfilled ${JSON.stringify(v)}`,
      e => `rejected ${e && e.message}`,
    );
  return Far('boot', {
    async bootstrap(vatObjects, devices) {
      svc = await E(vatObjects.vatAdmin).createVatAdminService(devices.vatAdmin);
      return 'ready';
    },
    async make(name) {
      const bcap = await E(svc).getNamedBundleCap('exiter');
      const { root, adminNode } = await E(svc).createVat(bcap, { name });
      vats.set(name, { root, adminNode });
      E(adminNode)
        .done()
        .then(
          v => log(`${name} done: ${JSON.stringify(v)}`),
          e => log(`${name} done rejected: ${e instanceof Error ? e.message : JSON.stringify(e)}`),
        );
      return name;
    },
    hang: name => {
      outcome(E(vats.get(name).root).hang()).then(o => log(`${name} hang ${o}`));
      return 'hanging';
    },
    send: (name, method, arg) => outcome(E(vats.get(name).root)[method](arg)),
    kill: (name, reason) => outcome(E(vats.get(name).adminNode).terminateWithFailure(reason)),
  });
}
