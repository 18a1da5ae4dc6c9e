// Creates a dynamic counter and upgrades it through its adminNode.
import { Far, E } from '@endo/far';

export function buildRootObject(vatPowers) {
  const { testLog: log } = vatPowers;
  let svc;
  let dyn;
  let thing;
  return Far('boot', {
    async bootstrap(vats, devices) {
      svc = await E(vats.vatAdmin).createVatAdminService(devices.vatAdmin);
    },
    async create() {
      dyn = await E(svc).createVatByName('counterV1');
      thing = await E(dyn.root).makeThing();
      return 'created';
    },
    call(method) {
      return E(dyn.root)[method]();
    },
    // Watches a promise the dynamic vat decides.
    watch() {
      E(dyn.root)
        .hang()
        .then(
          v => log(`hang fulfilled ${v}`),
          e => log(`hang rejected ${JSON.stringify(e)}`),
        );
      return 'watching';
    },
    ping() {
      return E(thing).ping().catch(e => `ping rejected: ${e.message}`);
    },
    async upgrade(bundleName, options) {
      const bc = await E(svc).getNamedBundleCap(bundleName);
      return E(dyn.adminNode)
        .upgrade(bc, options)
        .catch(e => `upgrade rejected: ${e.message}`);
    },
    async upgradeWith(arg, options) {
      return E(dyn.adminNode)
        .upgrade(arg, options)
        .catch(e => `upgrade rejected: ${e.message}`);
    },
  });
}
