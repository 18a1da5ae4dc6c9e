// Drives the upgrading vat: takes its ephemeral, virtual and durable
// exports and its promises before the upgrade, and probes each after.
import { Far, E } from '@endo/far';
import { makePromiseKit } from '@endo/promise-kit';

export function buildRootObject() {
  let ulrik;
  const sensors = [];
  for (let i = 0; i < 8; i += 1) sensors.push(Far(`import-${i}`, {}));
  const kit = makePromiseKit();
  let got = {};
  const settled = p =>
    Promise.resolve(p).then(
      v => ['fulfilled', v],
      e => ['rejected', e instanceof Error ? `${e.name}: ${e.message}` : e],
    );
  const show = p => p.catch(e => `rejected: ${e.message}`);
  const pinger = Far('pinger', {
    ping: what => what,
  });
  return Far('boot', {
    async bootstrap(vats, devices) {
      ulrik = vats.ulrik;
      await E(vats.vatAdmin).createVatAdminService(devices.vatAdmin);
    },
    async build() {
      const exports = await E(ulrik).getExports(sensors);
      const dur = await E(ulrik).makeDurandal({ d1: 'd1' });
      await E(ulrik).acceptPromise(kit.promise);
      await E(ulrik).acceptPresence(sensors[7]);
      const [p1] = await E(ulrik).getEternalPromiseInArray();
      const p2 = E(ulrik).getEternalPromise();
      const p3 = E(ulrik).getWatchedDecidedPromise();
      got = { ...exports, dur, p1: settled(p1), p2: settled(p2), p3: settled(p3) };
      return [await E(ulrik).getVersion(), await E(ulrik).getParameters(), await E(dur).get(), Object.keys(exports).sort()];
    },
    async afterUpgrade() {
      const [p1, p2, p3] = await Promise.all([got.p1, got.p2, got.p3]);
      return { p1, p2, p3 };
    },
    async probe() {
      const out = {};
      out.version = await show(E(ulrik).getVersion());
      out.parameters = await show(E(ulrik).getParameters());
      out.data = await show(E(ulrik).getData());
      out.presenceSame = (await E(ulrik).getPresence()) === sensors[7];
      out.dur = await show(E(got.dur).get());
      out.dur1 = await show(E(got.dur1).get());
      out.dur1import = (await E(got.dur1).getImport()) === sensors[1];
      out.vir2 = await show(E(got.vir2).get());
      out.rem1 = await show(E(got.rem1).get());
      out.vc1 = await show(E(got.vc1).has('vc2'));
      out.dc4 = await show(E(got.dc4).getSize());
      out.dc4entries = await show(E(ulrik).countEntries(got.dc4));
      const dur4 = await E(got.dc4).get(sensors[4]);
      out.dur4import = (await E(dur4).getImport()) === sensors[4];
      out.baggage = await show(E(ulrik).checkBaggage(sensors[5]));
      out.baggageSame = (await E(ulrik).baggageImport()) === sensors[6];
      out.watcher = await show(E(ulrik).getWatcherResult());
      out.newDur = await show(E(E(ulrik).getNewDurandal()).get());
      return out;
    },
    resolveHeld() {
      kit.resolve('late');
      return show(E(ulrik).heldPromiseSeen());
    },
    ping() {
      return show(E(ulrik).pingback(pinger));
    },
    makeMultiKind() {
      return show(E(ulrik).makeMultiKind());
    },
    makeSingleKind() {
      return show(E(ulrik).makeSingleKind());
    },
  });
}
