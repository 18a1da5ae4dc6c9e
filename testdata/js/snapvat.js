// A vat with state of every kind a heap snapshot must carry: a counter, a
// log, exported objects, promises it decides and promises it awaits.
import { Far, E } from '@endo/far';
import { makePromiseKit } from '@endo/promise-kit';

export function buildRootObject() {
  let count = 0;
  let peer;
  const log = [];
  const kits = [];
  const things = [];
  return Far('snap', {
    incr: () => {
      count += 1;
      return count;
    },
    get: () => count,
    setPeer: p => {
      peer = p;
    },
    // later returns a promise this vat decides, settled by release.
    later: () => {
      const kit = makePromiseKit();
      kits.push(kit);
      return kit.promise;
    },
    release: v => {
      kits.splice(0).forEach(k => k.resolve(v));
      return kits.length;
    },
    // waitPeer awaits a promise the peer decides.
    waitPeer: () => {
      E(peer)
        .later()
        .then(v => log.push(`peer said ${v}`));
      return 'waiting';
    },
    releasePeer: v => E(peer).release(v),
    makeThing: n => {
      const t = Far('thing', { n: () => n, count: () => count });
      things.push(t);
      return t;
    },
    thingCount: i => E(things[i]).count(),
    log: () => harden([...log]),
  });
}
