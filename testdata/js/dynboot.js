// Bootstrap of the dynamic-vat tests: creates vats from bundle caps, bundle
// IDs and bundle names, with meters and options, and kills them.
import { Far, E } from '@endo/far';

export function buildRootObject() {
  let svc;
  let vatAdmin;
  const roots = new Map();
  const admins = new Map();
  const done = new Map();
  const news = new Map();
  const remember = (name, { root, adminNode }) => {
    roots.set(name, root);
    admins.set(name, adminNode);
    done.set(
      name,
      E(adminNode).done().then(
        v => `done: ${JSON.stringify(v)}`,
        e => `done rejected: ${e.message}`,
      ),
    );
    return E(root).increment();
  };
  const describe = p =>
    Promise.resolve(p).then(
      v => `fulfilled: ${JSON.stringify(v)}`,
      e => `rejected: ${e.message}`,
    );
  return Far('dynboot', {
    async bootstrap(vats, devices) {
      vatAdmin = vats.vatAdmin;
      svc = await E(vats.vatAdmin).createVatAdminService(devices.vatAdmin);
      return 'ready';
    },
    async byCap(name) {
      const bcap = await E(svc).getNamedBundleCap('counter');
      return remember(name, await E(svc).createVat(bcap, { name, vatParameters: { label: name } }));
    },
    async byID(name) {
      const id = await E(svc).getBundleIDByName('counter');
      return remember(name, await E(svc).createVat(id, { name }));
    },
    async byBundle(name, bundle) {
      return remember(name, await E(svc).createVat(bundle, { name }));
    },
    async byName(name, bundleName = 'counter') {
      return remember(name, await E(svc).createVatByName(bundleName, { name }));
    },
    async metered(name, remaining, threshold) {
      const meter = await E(svc).createMeter(BigInt(remaining), BigInt(threshold));
      news.set(
        name,
        E(E(meter).getNotifier())
          .getUpdateSince(0)
          .then(({ value }) => `below threshold: ${value.remaining}`),
      );
      const bcap = await E(svc).getNamedBundleCap('busy');
      return remember(name, await E(svc).createVat(bcap, { name, meter }));
    },
    async busy(name) {
      const bcap = await E(svc).getNamedBundleCap('busy');
      return remember(name, await E(svc).createVat(bcap, { name }));
    },
    async critical(name) {
      const bcap = await E(svc).getNamedBundleCap('busy');
      const critical = await E(vatAdmin).getCriticalVatKey();
      return remember(name, await E(svc).createVat(bcap, { name, critical }));
    },
    tryCreate: (bundleName, options) => describe(E(svc).createVatByName(bundleName, options)),
    bump: name => describe(E(roots.get(name)).increment()),
    add: (name, k) => E(roots.get(name)).add(k),
    work: (name, n) => describe(E(roots.get(name)).work(n)),
    async killWithPending(name, reason) {
      const pending = E(roots.get(name)).later();
      await E(admins.get(name)).terminateWithFailure(Error(reason));
      const after = E(roots.get(name)).increment();
      return Promise.all([describe(pending), describe(after), done.get(name)]);
    },
    done: name => done.get(name),
    meterNews: name => Promise.race([news.get(name), Promise.resolve('no news')]),
    upgrade: async name => describe(E(admins.get(name)).upgrade(await E(svc).getNamedBundleCap('counter'), {})),
  });
}
