// Drives the promise scenarios of issue 10 (items 1–4). Each method logs what
// it observes with testLog; the expected lines come from SwingSet 0.33.
import { Far, E } from '@endo/far';
import { makePromiseKit } from '@endo/promise-kit';

export function buildRootObject(vatPowers) {
  const { testLog: log } = vatPowers;
  let vats;
  return Far('root', {
    bootstrap(v) {
      vats = v;
      return 'ready';
    },
    async settledInRecord() {
      const { p } = await E(vats.b).settledInRecord();
      log(`settledInRecord: ${await p}`);
      return 'ok';
    },
    async settledAfterAwait() {
      const { p } = await E(vats.b).settledAfterAwait();
      log(`settledAfterAwait: ${await p}`);
      return 'ok';
    },
    async settledArgument() {
      const r = await E(vats.b).takePromise(Promise.resolve('arg'));
      log(`settledArgument: ${r}`);
      return 'ok';
    },
    async mutual() {
      const { p } = await E(vats.b).mutual();
      const r2 = await p;
      const r1 = await r2.p;
      log(`mutual: ${typeof r1.p.then} ${typeof r2.p.then}`);
      return 'ok';
    },
    frozen() {
      const p = E(vats.b).settledInRecord();
      log(`E() result frozen: ${Object.isFrozen(p)}`);
      const local = E(Far('here', { hi: () => 'hi' })).hi();
      log(`local E() result frozen: ${Object.isFrozen(local)}`);
      return p.then(() => 'ok');
    },
    pipes() {
      const p1 = E(vats.b).pipe1();
      const p2 = E(p1).pipe2();
      const p3 = E(p2).pipe3();
      p1.then(() => log('p1.then'));
      p2.then(() => log('p2.then'));
      return p3.then(() => {
        log('p3.then');
        return 'ok';
      });
    },
    async deciderReuse() {
      // p2 is y's promise for x; p1 is queued in the kernel on p2, and x
      // holds p1 before it becomes p1's decider.
      const p2 = E(vats.y).getX(vats.x);
      const p1 = E(p2).answer('hi');
      const watched = E(vats.x).watch(p1);
      await E(vats.y).release();
      log(`deciderReuse: p1=${await p1} watched=${await watched}`);
      return 'ok';
    },
    async local() {
      const { promise, resolve } = makePromiseKit();
      resolve(Far('thing', { label: () => "thing" }));
      const r = await E(vats.b).echoLabel(promise);
      log(`local: ${r}`);
      return 'ok';
    },
  });
}
