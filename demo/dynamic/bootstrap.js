// Bootstrap: makes dynamic counter vats from the "counter" bundle and drives them.
import { Far, E } from '@endo/far';

export function buildRootObject() {
  let svc;
  const counters = new Map();
  const admins = new Map();
  return Far('bootstrap', {
    async bootstrap(vats, devices) {
      svc = await E(vats.vatAdmin).createVatAdminService(devices.vatAdmin);
      return 'ready';
    },
    async makeCounter(name, start = 0) {
      const bcap = await E(svc).getNamedBundleCap('counter');
      const { root, adminNode } = await E(svc).createVat(bcap, {
        name,
        vatParameters: { label: name, start },
      });
      counters.set(name, root);
      admins.set(name, adminNode);
      return E(root).increment();
    },
    bump(name) {
      return E(counters.get(name)).increment();
    },
    add(name, k) {
      return E(counters.get(name)).add(k);
    },
    async kill(name, reason) {
      const admin = admins.get(name);
      await E(admin).terminateWithFailure(Error(reason));
      return E(admin).done().then(
        () => 'done without failure?',
        err => `done: ${err.message}`,
      );
    },
  });
}
