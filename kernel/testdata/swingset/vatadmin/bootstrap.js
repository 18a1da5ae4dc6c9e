// vat-admin behaviour of issue 10 item 6 and the termination ordering of
// item 5 (terminate-with-presence, work for a dead vat). The expected log
// lines come from SwingSet 0.33.
import { Far, E } from '@endo/far';

export function buildRootObject(vatPowers) {
  const { testLog: log } = vatPowers;
  let svc;
  let vatAdmin;
  const marker = Far('marker', {});
  const outcome = p =>
    Promise.resolve(p).then(
      v => `fulfilled`,
      e => `rejected: ${e.message}`,
    );
  return Far('root', {
    async bootstrap(vats, devices) {
      vatAdmin = vats.vatAdmin;
      svc = await E(vats.vatAdmin).createVatAdminService(devices.vatAdmin);
    },
    async withPresence() {
      const { root, adminNode } = await E(svc).createVatByName('worker');
      log(`ready ${await E(root).echo(1)}`);
      E(adminNode)
        .done()
        .then(
          v => log(`doneP.then ${v}`),
          e => log(`doneP.catch ${e.why} ${e.marker === marker}`),
        );
      E(root)
        .hang()
        .then(
          v => log(`hangP.then ${v}`),
          e => log(`hangP.catch ${e}`),
        );
      E(adminNode)
        .terminateWithFailure(harden({ why: 'because', marker }))
        .then(
          v => log(`termP.then ${v}`),
          e => log(`termP.catch ${e}`),
        );
      return 'sent';
    },
    async options() {
      const bcap = await E(svc).getNamedBundleCap('worker');
      const tries = [
        ['bogus', { bogus: 1 }],
        ['two unknown', { bogus: 1, other: 2 }],
        ['spaces', { name: 'no spaces' }],
        ['long', { name: 'x'.repeat(200) }],
        ['critical true', { critical: true }],
        ['critical marker', { critical: marker }],
        ['name number', { name: 7 }],
        ['pipelining string', { enablePipelining: 'yes' }],
      ];
      for (const [label, opts] of tries) {
        log(`${label}: ${await outcome(E(svc).createVat(bcap, opts))}`);
      }
      log(`not a bundlecap: ${await outcome(E(svc).createVat(marker))}`);
      log(`not a bundle: ${await outcome(E(svc).createVat(harden({ hello: 1 })))}`);
      log(`name not a string: ${await outcome(E(svc).createVatByName(7))}`);
      const key = await E(vatAdmin).getCriticalVatKey();
      const { root } = await E(svc).createVat(bcap, { critical: key, name: 'crit' });
      log(`critical with key: ${await E(root).echo(2)}`);
      return 'ok';
    },
    async stuck() {
      const bcap = await E(svc).getNamedBundleCap('stuck');
      log(`stuck: ${await outcome(E(svc).createVat(bcap))}`);
      return 'ok';
    },
    async speakToDead() {
      const { root, adminNode } = await E(svc).createVatByName('worker');
      const held = E(root).hang();
      await E(adminNode).terminateWithFailure(Error('arbitrary reason'));
      log(`after kill: ${await outcome(E(root).echo(3))}`);
      log(`held: ${await outcome(held)}`);
      log(`kill again: ${await outcome(E(adminNode).terminateWithFailure('again'))}`);
      return 'ok';
    },
  });
}
