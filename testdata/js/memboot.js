// Creates a dynamic vat with its own memory limit.
import { Far, E } from '@endo/far';

export function buildRootObject() {
  let root;
  return Far('boot', {
    async bootstrap(vats, devices) {
      const svc = await E(vats.vatAdmin).createVatAdminService(devices.vatAdmin);
      ({ root } = await E(svc).createVatByName('mem', { memoryLimitBytes: 32 * 1024 * 1024 }));
    },
    alloc: n => E(root).alloc(n),
  });
}
