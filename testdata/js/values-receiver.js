// A vat that reports exactly what it received, and returns values that
// cannot be passed.
import { Far } from '@endo/far';

const describe = v => {
  if (typeof v === 'string') {
    return harden({ codes: [...Array(v.length).keys()].map(i => v.charCodeAt(i)) });
  }
  const keys = Reflect.ownKeys(v);
  return harden({
    keys,
    protoIsObject: Object.getPrototypeOf(v) === Object.prototype,
    own: keys.map(k => Object.getOwnPropertyDescriptor(v, k) !== undefined && 'value' in Object.getOwnPropertyDescriptor(v, k)),
    values: keys.map(k => (typeof v[k] === 'object' && v[k] !== null ? JSON.stringify(v[k]) : v[k])),
    frozen: Object.isFrozen(v),
  });
};

export const buildRootObject = () =>
  Far('receiver', {
    describe,
    echo: v => v,
    throwingGetter: () => ({ get x() { throw Error('getter ran'); } }),
    accessor: () => ({ get x() { return 1; } }),
    throwingProxy: () => new Proxy({}, { ownKeys() { throw Error('ownKeys trap'); } }),
    hole: () => [1, , 3],
    instance: () => new (class Point { constructor() { this.x = 1; } })(),
    cyclic: () => { const o = { a: 1 }; o.self = o; return o; },
    thenableFn: () => ({ data: harden({ then() {} }) }),
    deep: () => {
      let v = 1;
      for (let i = 0; i < 300; i += 1) v = [v];
      return v;
    },
    fn: () => ({ helper() {} }.helper),
    symbolKey: () => ({ [Symbol('s')]: 1 }),
    proxyFreezeFails: () => new Proxy({}, { preventExtensions() { return false; } }),
    extraArrayProp: () => { const a = [1]; a.x = 2; return a; },
    nested: () => ({ list: [{ ok: 1 }, { get bad() { return 2; } }] }),
    strictness: () => {
      const out = [];
      out.push((function () { return this === undefined; })());
      try {
        undeclaredGlobal = 1; // eslint-disable-line no-undef
        out.push('implicit global created');
      } catch (e) {
        out.push(e.name);
      }
      const frozen = harden({ a: 1 });
      try {
        frozen.a = 2;
        out.push('write ignored');
      } catch (e) {
        out.push(e.name);
      }
      return harden(out);
    },
    fine: () => ({ a: [1, 2], b: 'x', then: 1 }),
  });
