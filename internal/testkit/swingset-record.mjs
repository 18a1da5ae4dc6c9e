// Records a SwingSet 0.33 reference run for a parity scenario directory
// (kernel/testdata/swingset/<name>/: config.json, CASE.steps.json), writing
// CASE.swingset.jsonl next to each steps file. internal/testkit/parity.go
// replays the same steps on Cooper and compares.
//
// Run it with the SwingSet peer installed by /work/shared/peer/swingset/run.sh
// (default /tmp/cooper-peer-swingset, override with SWINGSET_PEER):
//
//   node internal/testkit/swingset-record.mjs kernel/testdata/swingset/vatdata [CASE...]
//
// A step is either [vat, method, [args]] (queueToVatRoot, then run to
// quiescence) or {"upgrade": vat, "source": file, "message": text}
// (controller.upgradeStaticVat with the bundled file, then run). Files are
// relative to the scenario directory. Output lines: {"bootstrap"}, {"log"}
// (testLog, in order), {"call","status","value"}; a rejection's value is
// "Name: message", undefined is the body "#\"#undefined\"" as before.
//
// The vat sources are copied into a scratch folder next to the peer's
// node_modules, because bundle-source resolves imports from the file's
// location and needs a package.json declaring them.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const PEER = process.env.SWINGSET_PEER || path.join(os.tmpdir(), 'cooper-peer-swingset');
const req = createRequire(path.join(PEER, 'package.json'));
const load = async name => import(pathToFileURL(req.resolve(name)).href);

await load('@endo/init'); // SES lockdown: before any other @agoric/@endo module
const { default: bundleSource } = await load('@endo/bundle-source');
const { initSwingStore } = await load('@agoric/swing-store');
const { buildKernelBundles, initializeSwingset, makeSwingsetController } = await load(
  '@agoric/swingset-vat',
);
const { kunser } = await load('@agoric/kmarshal');

const [dirArg, ...caseArgs] = process.argv.slice(2);
if (!dirArg) throw Error('usage: swingset-record.mjs SCENARIO_DIR [CASE...]');
const dir = path.resolve(dirArg);
const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf-8'));

// Scratch folder for bundling: vat files + a package.json + node_modules link.
const scratch = fs.mkdtempSync(path.join(PEER, 'record-'));
fs.writeFileSync(
  path.join(scratch, 'package.json'),
  JSON.stringify({
    name: 'cooper-parity-vats',
    type: 'module',
    dependencies: Object.fromEntries(
      ['@endo/far', '@endo/patterns', '@endo/errors', '@endo/promise-kit', '@endo/exo', '@endo/marshal', '@endo/eventual-send', '@endo/pass-style', '@endo/nat', '@agoric/assert', '@agoric/kmarshal', '@agoric/vat-data', '@agoric/store'].map(
        n => [n, '*'],
      ),
    ),
  }),
);
fs.symlinkSync(path.join(PEER, 'node_modules'), path.join(scratch, 'node_modules'));
const bundleCache = new Map();
async function bundleFile(rel) {
  if (bundleCache.has(rel)) return bundleCache.get(rel);
  const dst = path.join(scratch, `${bundleCache.size}-${path.basename(rel)}`);
  fs.copyFileSync(path.join(dir, rel), dst);
  const b = harden(JSON.parse(JSON.stringify(await bundleSource(dst))));
  bundleCache.set(rel, b);
  return b;
}

// buildKernelBundles takes about 20 s: cache it next to the peer install.
const kbCache = path.join(PEER, 'record-kernel-bundles.json');
if (!fs.existsSync(kbCache)) {
  fs.writeFileSync(kbCache, JSON.stringify(await buildKernelBundles()));
}
const kernelBundles = JSON.parse(fs.readFileSync(kbCache, 'utf-8'));

// toJSON turns a kunser'd value into the JSON the Go side compares.
const toJSON = v =>
  JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}` : x)) ?? 'null');

async function runCase(name) {
  const steps = JSON.parse(fs.readFileSync(path.join(dir, `${name}.steps.json`), 'utf-8'));
  const swingConfig = { bootstrap: config.bootstrap, defaultManagerType: 'local', vats: {}, bundles: {} };
  for (const [bundleName, spec] of Object.entries(config.bundles || {})) {
    swingConfig.bundles[bundleName] = { bundle: await bundleFile(spec.sourceSpec) };
  }
  for (const [vatName, spec] of Object.entries(config.vats)) {
    swingConfig.vats[vatName] = {
      bundle: await bundleFile(spec.sourceSpec),
      parameters: spec.parameters || {},
      creationOptions: spec.creationOptions || {},
    };
  }
  const dbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'swingset-record-'));
  const { kernelStorage } = initSwingStore(dbDir);
  const { kernel: kernelBundle, ...otherBundles } = kernelBundles;
  const bootKpid = await initializeSwingset(swingConfig, [], kernelStorage, {
    kernelBundles: otherBundles,
    addComms: false,
    addVattp: false,
    addTimer: false,
  });
  // A vat brought back by replaying its transcript (the local worker after a
  // failed upgrade) runs its testLog calls again: testLog is no syscall.
  // Those lines are marked "replay" (the slog brackets the replay).
  let c;
  const replayed = new Set();
  let replayFrom = -1;
  const slogSender = ev => {
    if (!c) return;
    if (ev.type === 'start-replay') replayFrom = c.dump().log.length;
    if (ev.type === 'finish-replay') {
      const to = c.dump().log.length;
      for (let i = replayFrom; i < to; i += 1) replayed.add(i);
    }
  };
  c = await makeSwingsetController(kernelStorage, {}, { kernelBundle, env: {}, slogSender });
  for (const vatName of Object.keys(config.vats)) c.pinVatRoot(vatName);

  const out = [];
  let logged = 0;
  const flushLog = () => {
    const { log } = c.dump();
    for (let i = logged; i < log.length; i += 1) {
      out.push(replayed.has(i) ? { log: log[i], replay: true } : { log: log[i] });
    }
    logged = log.length;
  };
  const result = kpid => {
    const status = c.kpStatus(kpid);
    if (status === 'unresolved') return { status };
    const data = c.kpResolution(kpid);
    const v = kunser(data);
    if (v instanceof Error) return { status, value: `${v.name}: ${v.message}` };
    if (v === undefined) return { status, value: data.body };
    return { status, value: toJSON(v) };
  };
  await c.run();
  flushLog();
  const boot = result(bootKpid); // kpResolution decrefs: once per kpid
  out.push({ bootstrap: boot.status, value: boot.value });
  for (const step of steps) {
    let kpid;
    let label;
    if (Array.isArray(step)) {
      const [vatName, method, args = []] = step;
      label = `${vatName}.${method}`;
      kpid = c.queueToVatRoot(vatName, method, args);
    } else {
      label = `upgrade ${step.upgrade}`;
      const bundleID = await c.validateAndInstallBundle(await bundleFile(step.source));
      // the controller's default message, set here because options are hardened
      const options = { upgradeMessage: step.message ?? `vat ${step.upgrade} upgraded` };
      if (step.vatParameters !== undefined) options.vatParameters = step.vatParameters;
      kpid = c.upgradeStaticVat(step.upgrade, false, bundleID, harden(options));
    }
    try {
      await c.run();
    } catch (e) {
      flushLog();
      out.push({ panic: `${e}` });
      break;
    }
    flushLog();
    out.push({ call: label, ...result(kpid) });
  }
  await c.shutdown();
  fs.rmSync(dbDir, { recursive: true, force: true });
  fs.writeFileSync(
    path.join(dir, `${name}.swingset.jsonl`),
    out.map(l => JSON.stringify(l)).join('\n') + '\n',
  );
  process.stderr.write(`${name}: ${out.length} lines\n`);
}

try {
  const cases = caseArgs.length
    ? caseArgs
    : fs
        .readdirSync(dir)
        .filter(f => f.endsWith('.steps.json'))
        .map(f => f.slice(0, -'.steps.json'.length));
  for (const name of cases) await runCase(name);
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
process.exit(0);
