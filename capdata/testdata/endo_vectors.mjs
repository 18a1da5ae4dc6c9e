// Generates endo_vectors.json: smallcaps capdata produced by @endo/marshal
// for a deterministic pseudo-random set of values. Run it from a directory
// whose node_modules has @endo/init, @endo/marshal and @endo/pass-style:
//   cp endo_vectors.mjs $DIR/ && (cd $DIR && node endo_vectors.mjs) > endo_vectors.json
import '@endo/init/debug.js';
import { makeMarshal } from '@endo/marshal';
import { Far, makeTagged } from '@endo/pass-style';

let seed = 12345;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const pick = a => a[Math.floor(rand() * a.length)];

const remotables = [Far('counter', {}), Far('brand', {}), Far('x.y', {})];
const promises = [Promise.resolve(1), Promise.resolve(2)];
const refOf = new Map([
  ...remotables.map((r, i) => [r, `ko${i}`]),
  ...promises.map((p, i) => [p, `kp${i}`]),
]);
const m = makeMarshal(v => refOf.get(v), undefined, {
  serializeBodyFormat: 'smallcaps',
  errorTagging: 'off',
});

const chars = ['a', 'b', 'Z', '0', ' ', '!', '"', '#', '$', '%', '&', "'", '(', '-', '.', '/', '@', '\\', '\n', '\u0001', '\u007f', 'é', '\u2028', '\ud7ff', '\ue000', '\uffff', '\u{1F600}', '\u{10FFFF}', '\ud800', '\udfff'];
const str = () => {
  let s = '';
  const n = Math.floor(rand() * 5);
  for (let i = 0; i < n; i++) s += pick(chars);
  return s;
};
const num = () =>
  pick([
    () => rand(),
    () => (rand() - 0.5) * 10 ** Math.floor(rand() * 60 - 30),
    () => Math.floor(rand() * 1e6),
    () => (rand() < 0.5 ? -1 : 1) * 10 ** Math.floor(rand() * 640 - 330),
    () => pick([0, -0, NaN, Infinity, -Infinity, 5e-324, 1.7976931348623157e308, 1e21, 1e-7, 2 ** 53, 0.1 + 0.2]),
    () => new Float64Array(new Uint32Array([rand() * 2 ** 32, rand() * 2 ** 32]).buffer)[0],
  ])();
const value = depth =>
  pick([
    () => null,
    () => undefined,
    () => rand() < 0.5,
    num,
    num,
    str,
    str,
    () => BigInt(Math.floor((rand() - 0.5) * 2 ** 40)) * BigInt(Math.floor(rand() * 2 ** 40)),
    () => pick([Symbol.asyncIterator, Symbol.iterator, Symbol.for('foo'), Symbol.for('@@x'), Symbol.for('')]),
    () => pick(remotables),
    () => pick(promises),
    () => (depth > 3 ? 1 : Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1))),
    () => {
      if (depth > 3) return 2;
      const o = {};
      const n = Math.floor(rand() * 5);
      for (let i = 0; i < n; i++) o[str()] = value(depth + 1);
      return o;
    },
    () => (depth > 3 ? 3 : makeTagged(str(), value(depth + 1))),
    () => harden(pick([new TypeError(str()), new RangeError(str()), Error(str())])),
  ])();

const out = [];
for (let i = 0; i < 3000; i++) {
  const v = harden(value(0));
  const { body, slots } = m.toCapData(v);
  out.push({ body, slots });
}
console.log(`[\n${out.map(x => JSON.stringify(x)).join(",\n")}\n]`);
