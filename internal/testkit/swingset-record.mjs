// Records a SwingSet parity reference: runs a scenario directory
// (config.json, vat files, CASE.steps.json) on the real SwingSet 0.33 and
// writes CASE.swingset.jsonl next to the steps, in the format
// CheckSwingSetParity (parity.go) reads.
//
//   node internal/testkit/swingset-record.mjs kernel/testdata/swingset/patterns [CASE...]
//
// Needs the installed SwingSet of /work/shared/peer/swingset (run.sh there
// installs it): $SWINGSET_PEER, default /tmp/cooper-peer-swingset, holding
// node_modules/@agoric/swingset-vat@0.33.0. The scenario is copied next to
// those node_modules (bundle-source needs a package.json above the vats).
// Without CASE, every *.steps.json of the directory is recorded.
import fs from 'node:fs';
import path from 'node:path';

const peer = process.env.SWINGSET_PEER || '/tmp/cooper-peer-swingset';
const nm = path.join(peer, 'node_modules');
const load = spec => import(path.join(nm, spec));
await load('@endo/init/index.js');
const { buildVatController, loadSwingsetConfigFile, buildKernelBundles } = await load('@agoric/swingset-vat/src/index.js');
const { kunser } = await load('@agoric/kmarshal/src/kmarshal.js');

const [dir, ...only] = process.argv.slice(2);
if (!dir) {
  console.error('usage: swingset-record.mjs SCENARIO_DIR [CASE...]');
  process.exit(2);
}
const src = path.resolve(dir);
const work = path.join(peer, 'record', path.basename(src));
fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(work, { recursive: true });
fs.cpSync(src, work, { recursive: true });
const deps = ['@endo/far', '@endo/promise-kit', '@endo/errors', '@endo/marshal', '@endo/eventual-send', '@endo/pass-style', '@endo/patterns', '@endo/exo', '@agoric/assert', '@agoric/kmarshal', '@agoric/store', '@agoric/vat-data'];
fs.writeFileSync(path.join(work, 'package.json'), JSON.stringify({ name: 'scenario', version: '0.0.0', type: 'module', private: true, dependencies: Object.fromEntries(deps.map(d => [d, '*'])) }));
fs.symlinkSync(nm, path.join(work, 'node_modules'));

const cache = path.join(peer, 'record', 'kernel-bundles.json');
let kernelBundles;
if (fs.existsSync(cache)) kernelBundles = JSON.parse(fs.readFileSync(cache, 'utf8'));
else {
  kernelBundles = await buildKernelBundles();
  fs.writeFileSync(cache, JSON.stringify(kernelBundles));
}

// value renders a resolution as parity.go compares it: JSON data, errors
// as "Name: message", bigints as "123n".
const value = capdata => {
  try {
    const v = kunser(capdata);
    if (v instanceof Error) return `${v.name}: ${v.message}`;
    return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x)));
  } catch (e) {
    return capdata.body;
  }
};

const cases = only.length ? only : fs.readdirSync(src).filter(f => f.endsWith('.steps.json')).map(f => f.slice(0, -'.steps.json'.length));
for (const name of cases) {
  const steps = JSON.parse(fs.readFileSync(path.join(src, `${name}.steps.json`), 'utf8'));
  const config = await loadSwingsetConfigFile(path.join(work, 'config.json'));
  config.defaultReapInterval = 'never';
  const out = [];
  const c = await buildVatController(config, [], { kernelBundles });
  let logged = 0;
  const flush = () => {
    const { log } = c.dump();
    for (; logged < log.length; logged += 1) out.push({ log: log[logged] });
  };
  await c.run();
  flush();
  const br = c.bootstrapResult;
  out.push({ bootstrap: c.kpStatus(br), value: c.kpStatus(br) === 'unresolved' ? null : value(c.kpResolution(br)) });
  for (const [vat, method, args] of steps) {
    const kp = c.queueToVatRoot(vat, method, args ?? [], 'ignore');
    try {
      await c.run();
    } catch (e) {
      flush();
      out.push({ panic: String(e.message ?? e) });
      break;
    }
    flush();
    const st = c.kpStatus(kp);
    out.push({ call: `${vat}.${method}`, status: st, value: st === 'unresolved' ? null : value(c.kpResolution(kp)) });
  }
  await c.shutdown();
  fs.writeFileSync(path.join(src, `${name}.swingset.jsonl`), out.map(o => `${JSON.stringify(o)}\n`).join(''));
  console.error(`recorded ${name}: ${out.length} lines`);
}
process.exit(0);
