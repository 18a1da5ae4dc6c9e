// Hands alice an object and a promise of its own, keeps what alice hands
// back, and probes alice's weak collections with all of them before and
// after its promise is resolved.
import { Far, E } from '@endo/far';

export function buildRootObject(vatPowers) {
  const { testLog } = vatPowers;
  let alice;
  let resolveP;
  const p = new Promise(resolve => {
    resolveP = resolve;
  });
  const obj = Far('sample', {
    toString: () => 'sample-object',
  });
  const ours = [obj, p];
  let theirs = [];
  const probe = async (method, items) => {
    for (const item of items) {
      const what = await E(alice)[method](item);
      testLog(`${method} ${item}: ${JSON.stringify(what)}`);
    }
  };
  return Far('boot', {
    bootstrap(vats) {
      alice = vats.alice;
    },
    async prepare() {
      theirs = await E(alice).prepare(ours);
      return theirs.length;
    },
    async probe(method) {
      await probe(method, ours);
      await probe(method, theirs);
      return 'probes done';
    },
    resolve() {
      resolveP('resolved');
    },
    // gives alice a fresh object that it has never seen
    probeFresh(method) {
      return E(alice)[method](Far('fresh', {}));
    },
    deleteOurs() {
      return E(alice).deleteKeys(obj);
    },
  });
}
