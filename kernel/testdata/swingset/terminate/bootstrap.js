// Termination scenarios of issue 10 item 5: a dynamic vat killed through its
// adminNode or ending itself, with work queued to it and promises it decides.
// The expected log lines come from SwingSet 0.33.
import { Far, E } from '@endo/far';

export function buildRootObject(vatPowers) {
  const { testLog: log } = vatPowers;
  let svc;
  let root;
  let adminNode;
  const report = (label, p) =>
    p.then(
      v => log(`${label} fulfilled ${v}`),
      e => log(`${label} rejected ${e}`),
    );

  const self = Far('root', {
    async bootstrap(vats, devices) {
      svc = await E(vats.vatAdmin).createVatAdminService(devices.vatAdmin);
    },
    async start() {
      ({ root, adminNode } = await E(svc).createVatByName('worker', { name: 'worker' }));
      log(`first: ${await E(root).echo(1)}`);
    },
    async scenario(mode) {
      const hangingP = E(root).hang();
      report('hangingP', hangingP);
      const queuedP = E(hangingP).anything();
      report('queuedP', queuedP);
      log(`ask: ${await E(root).ask(self, 'a')}`);

      const askP = E(root).ask(self, 'b');
      report('askP', askP);
      switch (mode) {
        case 'kill':
          E(adminNode).terminateWithFailure(mode);
          break;
        case 'exit':
          E(root).exit(mode);
          break;
        case 'exitError':
          E(root).exit(Error(mode));
          break;
        case 'fail':
          E(root).fail(mode);
          break;
        case 'failError':
          E(root).fail(Error(mode));
          break;
        case 'exitThenSend':
          E(root).exitThenSend(self, mode);
          break;
        case 'failThenSend':
          E(root).failThenSend(self, Error(mode));
          break;
        case 'exitWithPresence':
          E(root).exitWithPresence(self);
          break;
        default:
          throw Error(`unknown mode ${mode}`);
      }
      const laterP = E(root).echo(4);
      report('laterP', laterP);
      if (mode === 'kill') {
        report('secondKillP', E(adminNode).terminateWithFailure('again'));
      }
      try {
        const v = await E(adminNode).done();
        log(`done fulfilled ${v} ${typeof v === 'object' ? JSON.stringify(Object.keys(v)) : ''}`);
      } catch (e) {
        log(`done rejected ${e} (Error=${e instanceof Error})`);
      }
      return 'finished';
    },
    answer(tag) {
      log(`bootstrap answers ${tag}`);
      return `answer ${tag}`;
    },
  });
  return self;
}
