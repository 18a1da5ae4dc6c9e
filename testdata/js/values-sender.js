// Sends values to the receiver vat and says what came back.
import { E, Far } from '@endo/far';

export const buildRootObject = () => {
  let receiver;
  return Far('sender', {
    bootstrap(vats) {
      receiver = vats.receiver;
    },
    protoRecord: () => E(receiver).describe(harden({ ['__proto__']: { x: 1 }, y: 2 })),
    manyKeys: () => E(receiver).describe(harden({ toString: 'ts', constructor: 'c', '': 'empty', 10: 'ten', 2: 'two', '-1': 'minus', '01': 'zero-one', length: 3 })),
    surrogates: async () => {
      const out = [];
      for (const s of ['\ud800x', '\udc00', 'a\ud83d\ude00b', '\udfff\ud800', 'x\ud800']) {
        const back = await E(receiver).echo(s);
        const seen = await E(receiver).describe(s);
        out.push([back === s, seen.codes.join(',')]);
      }
      const rec = await E(receiver).echo(harden({ '\ud800': 'lone key' }));
      out.push([Object.keys(rec)[0] === '\ud800', rec['\ud800']]);
      return harden(out);
    },
    sendBad: () => {
      try {
        E(receiver).describe({ get x() { return 1; } });
        return 'sent';
      } catch (e) {
        return `threw ${e.name}: ${e.message}`;
      }
    },
    bad: async method => {
      try {
        const v = await E(receiver)[method]();
        return `fulfilled ${JSON.stringify(v)}`;
      } catch (e) {
        return `rejected ${e.name}: ${e.message}`;
      }
    },
  });
};
