// Alice pings her peer n times: one at a time, or all at once.
import { Far, E } from '@endo/far';

export function buildRootObject() {
  let peer;
  return Far('alice', {
    setPeer(p) {
      peer = p;
    },
    async sequential(n) {
      let last;
      for (let i = 0; i < n; i += 1) {
        last = await E(peer).ping(i);
      }
      return last;
    },
    async concurrent(n) {
      const replies = [];
      for (let i = 0; i < n; i += 1) {
        replies.push(E(peer).ping(i));
      }
      const all = await Promise.all(replies);
      return all[all.length - 1];
    },
  });
}
