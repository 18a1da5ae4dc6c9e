// Drives the store vat and keeps the objects it hands out in its own heap,
// so that they can be used again after the store vat is upgraded.
import { Far, E } from '@endo/far';

export function buildRootObject() {
  let vats;
  const held = new Map();
  const show = p => p.catch(e => `rejected: ${e.message}`);
  return Far('boot', {
    // SwingSet's controller.upgradeStaticVat needs the vat-admin service,
    // which only the bootstrap can create ("vatAdmin device not configured").
    async bootstrap(v, devices) {
      vats = v;
      await E(vats.vatAdmin).createVatAdminService(devices.vatAdmin);
    },
    // Calls store.method(...args); a returned object is kept under `keep`.
    async store(method, args = [], keep = undefined) {
      const r = await show(E(vats.store)[method](...args));
      if (keep !== undefined) {
        held.set(keep, r);
        return `kept ${keep}`;
      }
      return r;
    },
    // Calls method(...args) on a kept object.
    use(name, method, args = []) {
      return show(E(held.get(name))[method](...args));
    },
    same(a, b) {
      return held.get(a) === held.get(b);
    },
    // Passes the other vat's root to the store vat (for promise watching).
    watchOther(tag) {
      return E(vats.store).watch(vats.other, tag);
    },
    remotableKeys() {
      return E(vats.store).remotableKeys(vats.other);
    },
    release(v) {
      return E(vats.other).release(v);
    },
  });
}
