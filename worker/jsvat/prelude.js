// The vat environment of a Cooper JS vat. Runs once per runtime, before the
// vat's bundle, as a function of the Go bridge; returns what the worker needs
// and the built-in modules vat code imports. After it runs, the intrinsics are
// frozen and the global object holds no host objects.
(function prelude(bridge) {
  'use strict';

  const { freeze, isFrozen, getOwnPropertyDescriptors, getPrototypeOf, defineProperty, keys } = Object;
  const { ownKeys } = Reflect;

  // --- determinism ---------------------------------------------------------
  const OriginalDate = Date;
  function SafeDate(...args) {
    if (!new.target) {
      return 'Invalid Date';
    }
    if (args.length === 0) {
      return Reflect.construct(OriginalDate, [NaN], new.target);
    }
    return Reflect.construct(OriginalDate, args, new.target);
  }
  SafeDate.prototype = OriginalDate.prototype;
  defineProperty(OriginalDate.prototype, 'constructor', { value: SafeDate });
  SafeDate.now = function now() { return NaN; };
  SafeDate.parse = OriginalDate.parse;
  SafeDate.UTC = OriginalDate.UTC;
  globalThis.Date = SafeDate;

  Math.random = function random() {
    throw TypeError('Math.random() is not available in a vat: vats are deterministic');
  };

  const refuseCode = name => function () {
    throw TypeError(`${name} constructor is not available in a vat: no code from strings`);
  };
  for (const [name, sample] of [
    ['Function', function () {}],
    ['AsyncFunction', async function () {}],
    ['GeneratorFunction', function* () {}],
    ['AsyncGeneratorFunction', null],
  ]) {
    if (sample === null) continue;
    const proto = getPrototypeOf(sample);
    const Refused = refuseCode(name);
    Refused.prototype = proto;
    defineProperty(proto, 'constructor', { value: Refused });
    if (name === 'Function') globalThis.Function = Refused;
  }
  delete globalThis.eval;
  for (const name of ['WeakRef', 'FinalizationRegistry']) {
    delete globalThis[name];
  }

  // --- harden --------------------------------------------------------------
  // harden freezes root and everything reachable from it through
  // prototypes and own properties (values, getters and setters), depth
  // first, last property first, never calling a getter. Primitives and
  // objects already hardened are not pushed, and hardened roots return at
  // once: the walk, and so every proxy trap it runs, is the same as a walk
  // that pushed them (each would be skipped when popped).
  // bridge.freezeOwn, if the engine has it (the wasm worker), does what
  // the loop body below does after hardened.add(v), for a v that is not a
  // proxy, in the engine: it freezes v and returns the objects the body
  // would push, in order; for a proxy it returns undefined.
  const hardened = new WeakSet();
  const freezeOwn = bridge.freezeOwn;
  function harden(root) {
    if ((typeof root !== 'object' && typeof root !== 'function') || root === null || hardened.has(root)) {
      return root;
    }
    const todo = [root];
    let n = 1; // todo[0..n) is the stack
    while (n > 0) {
      n -= 1;
      const v = todo[n];
      if (hardened.has(v)) {
        continue;
      }
      hardened.add(v);
      if (freezeOwn !== undefined) {
        const next = freezeOwn(v);
        if (next !== undefined) {
          for (let i = 0; i < next.length; i += 1) {
            const x = next[i];
            if (!hardened.has(x)) {
              todo[n] = x;
              n += 1;
            }
          }
          continue;
        }
      }
      freeze(v);
      const proto = getPrototypeOf(v);
      if (proto !== null && !hardened.has(proto)) {
        todo[n] = proto;
        n += 1;
      }
      const descs = getOwnPropertyDescriptors(v);
      const ks = ownKeys(descs);
      for (let i = 0; i < ks.length; i += 1) {
        const d = descs[ks[i]];
        let x = d.value;
        if (x === undefined && !('value' in d)) {
          x = d.get;
          if ((typeof x === 'object' || typeof x === 'function') && x !== null && !hardened.has(x)) {
            todo[n] = x;
            n += 1;
          }
          x = d.set;
        }
        if ((typeof x === 'object' || typeof x === 'function') && x !== null && !hardened.has(x)) {
          todo[n] = x;
          n += 1;
        }
      }
    }
    return root;
  }
  // hardenArgs hardens the elements of a rest-parameter array made here,
  // last first, as harden(args) would visit them. The array itself is
  // only ever read, by send and the bridge: vat code never sees it, so it
  // need not be frozen.
  const hardenArgs = args => {
    for (let i = args.length - 1; i >= 0; i -= 1) harden(args[i]);
    return args;
  };
  // sealFresh freezes v, a new object whose prototype and property values
  // are already hardened (or primitives), and counts it as hardened.
  const sealFresh = v => {
    hardened.add(v);
    return freeze(v);
  };
  // seal freezes v shallowly and counts it as hardened: for objects made
  // here whose contents are already frozen or are intrinsics.
  const seal = v => {
    if ((typeof v === 'object' || typeof v === 'function') && v !== null && !hardened.has(v)) {
      freeze(v);
      hardened.add(v);
    }
  };

  // --- errors and assertions (@endo/errors) ---------------------------------
  const quoted = new WeakMap();
  function q(payload) {
    const box = freeze({ toString: () => stringify(payload) });
    quoted.set(box, true);
    return box;
  }
  function stringify(v) {
    if (typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'bigint') return `${v}n`;
    if (v === undefined) return 'undefined';
    if (typeof v === 'function') return `[Function ${v.name}]`;
    if (typeof v === 'symbol') return v.toString();
    if (v instanceof Error) return `(${v.name}: ${v.message})`;
    if (typeof v === 'object' && v !== null) {
      const iface = ifaces.get(v);
      if (iface !== undefined) return `[${iface}]`;
      if (isPromise(v)) return '[Promise]';
      try {
        return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));
      } catch (e) {
        return '[object]';
      }
    }
    return String(v);
  }
  function X(template, ...args) {
    let out = template[0];
    for (let i = 0; i < args.length; i += 1) {
      const a = args[i];
      const t = a === null ? 'object' : typeof a;
      out += (quoted.has(a) ? a.toString() : a instanceof Error ? `(${a.name}#1)` : `(${/^[aeiou]/.test(t) ? 'an' : 'a'} ${t})`) + template[i + 1];
    }
    return freeze({ message: out, details: true });
  }
  function messageOf(d) {
    if (d === undefined) return 'Check failed';
    if (typeof d === 'object' && d !== null && d.details) return d.message;
    return String(d);
  }
  function makeError(details, ErrorCtor = Error) {
    return ErrorCtor(messageOf(details));
  }
  function Fail(template, ...args) {
    throw makeError(X(template, ...args));
  }
  function assert(flag, details, ErrorCtor = Error) {
    if (!flag) {
      throw makeError(details, ErrorCtor);
    }
  }
  assert.fail = (details, ErrorCtor = Error) => {
    throw makeError(details, ErrorCtor);
  };
  assert.equal = (a, b, details, ErrorCtor = Error) => {
    if (!Object.is(a, b)) {
      throw makeError(details === undefined ? X`Expected ${q(a)} is same as ${q(b)}` : details, ErrorCtor);
    }
  };
  assert.typeof = (v, type, details) => {
    if (typeof v !== type) {
      throw makeError(details === undefined ? X`${q(v)} must be ${q(type)}` : details, TypeError);
    }
  };
  assert.string = (v, details) => assert.typeof(v, 'string', details);
  assert.details = X;
  assert.quote = q;
  assert.Fail = Fail;
  assert.makeError = makeError;
  assert.note = () => {};
  const annotateError = () => {};

  // --- pass styles (@endo/pass-style) ---------------------------------------
  const ifaces = new WeakMap(); // remotable → "Alleged: name"
  const tagged = new WeakSet();
  const isPromise = v => typeof v === 'object' && v !== null && bridge.isPromise(v);

  function Remotable(iface = 'Remotable', props = undefined, remotable = {}) {
    if (typeof iface !== 'string') {
      throw TypeError(`Remotable interface must be a string, not ${stringify(iface)}`);
    }
    if (ifaces.has(remotable)) {
      throw TypeError(`${stringify(remotable)} is already a remotable`);
    }
    if (isFrozen(remotable)) {
      throw TypeError('Remotable: the object must not be frozen yet');
    }
    const ks = ownKeys(remotable);
    for (let i = 0; i < ks.length; i += 1) {
      const k = ks[i];
      const d = Object.getOwnPropertyDescriptor(remotable, k);
      if (!('value' in d) || typeof d.value !== 'function') {
        throw TypeError(`cannot make a remotable with non-method ${String(k)}`);
      }
    }
    ifaces.set(remotable, iface);
    defineProperty(remotable, Symbol.toStringTag, { value: iface });
    return harden(remotable);
  }
  function Far(farName, remotable = undefined) {
    return Remotable(`Alleged: ${farName}`, undefined, remotable === undefined ? {} : remotable);
  }
  function makePresence(iface) {
    const p = {};
    ifaces.set(p, iface || 'Alleged: presence');
    defineProperty(p, Symbol.toStringTag, { value: iface || 'Alleged: presence' });
    return sealFresh(p);
  }
  function makeTagged(tag, payload) {
    const t = { [Symbol.toStringTag]: tag, payload };
    tagged.add(t);
    sealFresh(t);
    harden(tag); // harden(t) would visit the tag, then the payload
    harden(payload);
    return t;
  }
  function getInterfaceOf(v) {
    return ifaces.get(v);
  }
  function passStyleOf(v) {
    switch (typeof v) {
      case 'undefined': return 'undefined';
      case 'boolean': return 'boolean';
      case 'number': return 'number';
      case 'bigint': return 'bigint';
      case 'string': return 'string';
      case 'symbol': return 'symbol';
      case 'function':
        if (ifaces.has(v)) return 'remotable';
        throw TypeError(`Cannot pass non-remotable function ${stringify(v)}`);
      default:
        if (v === null) return 'null';
        if (ifaces.has(v)) return 'remotable';
        if (tagged.has(v)) return 'tagged';
        if (isPromise(v)) return 'promise';
        if (Array.isArray(v)) return 'copyArray';
        if (v instanceof Error) return 'error';
        for (const k of ownKeys(v)) {
          if (typeof k !== 'string') throw TypeError(`Records can only have string-named properties: ${String(k)}`);
          if (typeof v[k] === 'function') throw TypeError(`Records cannot contain non-far functions: ${k}`);
        }
        return 'copyRecord';
    }
  }
  // kindOf is what the Go side asks when it converts a value for capdata.
  // (An array is never a promise: asking Array.isArray first spares the
  // engine's isPromise, a host call, for arrays.)
  const { isArray } = Array;
  function kindOf(v) {
    if (ifaces.has(v)) return 'remotable';
    if (tagged.has(v)) return 'tagged';
    if (isArray(v)) return 'array';
    if (isPromise(v)) return 'promise';
    if (v instanceof Error) return 'error';
    if (typeof v === 'function') return 'function';
    return 'record';
  }

  // --- promises (@endo/promise-kit) ----------------------------------------
  function makePromiseKit() {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return harden({ promise, resolve, reject });
  }

  // --- eventual send (@endo/eventual-send) ---------------------------------
  function localSend(x, method, args) {
    return Promise.resolve().then(() => {
      if (x === undefined || x === null) {
        throw TypeError(`Cannot deliver ${stringify(method)} to target; typeof target is "${x === null ? 'null' : 'undefined'}"`);
      }
      if (method === undefined) {
        if (typeof x !== 'function') throw TypeError(`target is not a function: ${stringify(x)}`);
        return x(...args);
      }
      const f = x[method];
      if (typeof f !== 'function') {
        throw TypeError(`target has no method ${stringify(method)}, has ${stringify(keys(x).filter(k => typeof x[k] === 'function'))}`);
      }
      return Reflect.apply(f, x, args);
    });
  }
  function send(x, method, args) {
    if (bridge.isRemote(x)) {
      return bridge.send(x, method, args);
    }
    if (isPromise(x)) {
      return x.then(v => send(v, method, args));
    }
    return localSend(x, method, args);
  }
  function sendOnly(x, method, args) {
    if (bridge.isRemote(x)) {
      bridge.sendOnly(x, method, args);
      return;
    }
    send(x, method, args).catch(() => {});
  }
  // E(x) is a proxy of a frozen empty object (so E(x)() is not a function)
  // whose get makes the sending functions; the proxies share their handler
  // and find x by their target.
  const eTargets = new WeakMap(); // E's proxy target → x
  const eHandler = {
    get: (t, method) => {
      const x = eTargets.get(t);
      return (...args) => freeze(send(x, method, hardenArgs(args)));
    },
  };
  const E = x => {
    const t = freeze({});
    eTargets.set(t, x);
    return new Proxy(t, eHandler);
  };
  E.when = (x, onFulfilled, onRejected) => Promise.resolve(x).then(onFulfilled, onRejected);
  const eOnlyHandler = {
    get: (t, method) => {
      const x = eTargets.get(t);
      return (...args) => sendOnly(x, method, hardenArgs(args));
    },
  };
  E.sendOnly = x => {
    const t = freeze({});
    eTargets.set(t, x);
    return new Proxy(t, eOnlyHandler);
  };
  E.get = x => new Proxy(freeze({}), {
    get: (_t, prop) => Promise.resolve(x).then(v => v[prop]),
  });
  E.resolve = x => Promise.resolve(x);
  harden(E);

  // --- console --------------------------------------------------------------
  function format(args) {
    return args.map(a => (typeof a === 'string' ? a : a instanceof Error ? `${a.name}: ${a.message}` : stringify(a))).join(' ');
  }
  const consoleObject = {};
  for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
    consoleObject[level] = (...args) => bridge.console(level, format(args));
  }
  globalThis.console = consoleObject;

  const vatPowers = {
    testLog: (...args) => bridge.testLog(format(args)),
    exitVat: completion => bridge.exit(false, completion),
    exitVatWithFailure: reason => bridge.exit(true, reason),
  };

  // --- @agoric/kmarshal: capdata in kernel-slot form ---------------------------
  // For vats that build or read capdata by hand: references are stand-ins
  // naming a kref (kslot), and kser/kunser use Cooper's own smallcaps codec.
  const standins = new WeakMap(); // stand-in → kref
  function kslot(kref, iface = 'undefined') {
    if (typeof kref !== 'string') throw TypeError(`kslot: kref must be a string, not ${stringify(kref)}`);
    if (iface && iface.startsWith('Alleged: ')) iface = iface.slice(9);
    if (/^(p|kp|lp|rp)/.test(kref)) {
      const p = Promise.resolve(`${kref} stand in`);
      standins.set(p, kref);
      return harden(p);
    }
    const o = Far(iface, { iface: () => iface, getKref: () => `${kref}` });
    standins.set(o, kref);
    return o;
  }
  function krefOf(v) {
    const kref = standins.get(v);
    if (kref === undefined) throw TypeError(`krefOf: ${stringify(v)} is not a kslot stand-in`);
    return kref;
  }
  const kmarshal = {
    kslot,
    krefOf,
    kser: value => harden(bridge.kser(harden(value), krefOf)),
    kunser: capdata => bridge.kunser(capdata.body, capdata.slots, kslot),
  };

  // --- the data model: patterns.js, built on first use -------------------------
  // @endo/patterns, @agoric/store and @endo/exo, and the rank-order and
  // encoding exports of @endo/marshal, come from patterns.js (spliced in
  // here by jsvat.go), made on the first import that needs them.
  const makePatterns = /*@@patterns.js@@*/ null;
  let patternsKit;
  const getPatterns = () => {
    if (patternsKit === undefined) {
      patternsKit = makePatterns({ harden, Far, Remotable, passStyleOf, makeTagged, getInterfaceOf, isPromise: v => isPromise(v), seal });
    }
    return patternsKit;
  };
  const pick = (names, extra = {}) => () => {
    const kit = getPatterns();
    const m = { ...extra };
    for (const name of names) m[name] = kit[name];
    return m;
  };
  // lazyExports adds getters for names of the patterns kit to module m.
  const lazyExports = (m, names) => {
    for (const name of names) {
      defineProperty(m, name, { get: () => getPatterns()[name], enumerable: true });
    }
    return m;
  };
  const patternsExports = ('isKey assertKey assertScalarKey isCopySet assertCopySet makeCopySet getCopySetKeys isCopyBag ' +
    'assertCopyBag makeCopyBag makeCopyBagFromElements getCopyBagEntries isCopyMap assertCopyMap makeCopyMap getCopyMapEntries ' +
    'coerceToElements coerceToBagEntries bagCompare setCompare compareKeys keyLT keyLTE keyEQ keyGTE keyGT M matches mustMatch ' +
    'getRankCover isPattern assertPattern isAwaitArgGuard assertAwaitArgGuard isRawGuard assertMethodGuard assertInterfaceGuard ' +
    'kindOf containerHasSplit getAwaitArgGuardPayload getMethodGuardPayload getInterfaceGuardPayload getInterfaceMethodKeys').split(' ');
  const exoExports = 'initEmpty defineExoClass defineExoClassKit makeExo GET_INTERFACE_GUARD'.split(' ');
  const storeExports = ('makeScalarMapStore makeScalarSetStore makeScalarWeakMapStore makeScalarWeakSetStore provideLazy ' +
    'makeAtomicProvider isKey assertKey assertScalarKey makeCopySet getCopySetKeys makeCopyBag makeCopyBagFromElements ' +
    'getCopyBagEntries makeCopyMap getCopyMapEntries coerceToElements coerceToBagEntries compareKeys keyLT keyLTE keyEQ keyGTE ' +
    'keyGT setCompare bagCompare M getRankCover isPattern assertPattern matches mustMatch isCopySet isCopyMap ' +
    'initEmpty defineExoClass defineExoClassKit makeExo').split(' ');
  const marshalExports = ('compareRank compareAntiRank makeFullOrderComparatorKit sortByRank isRankSorted assertRankSorted ' +
    'getPassStyleCover unionRankCovers intersectRankCovers recordNames recordValues zeroPad makeEncodePassable ' +
    'makeDecodePassable makePassableKit isEncodedRemotable passStylePrefixes').split(' ');
  const passStyleExports = 'nameForPassableSymbol passableSymbolForName isPassableSymbol assertPassable filterIterable mapIterable'.split(' ');
  const lazyModules = {
    '@endo/patterns': pick(patternsExports),
    '@endo/exo': pick(exoExports),
    // exo-tools.js, plus makeInstance (Cooper's: a representative of a prototype)
    '@endo/exo/tools.js': pick('defendPrototype defendPrototypeKit makeInstance'.split(' ')),
    '@agoric/store': pick(storeExports),
  };

  // --- the virtual and durable data layer: vatdata.js, built on first use -----
  // Baggage, @agoric/vat-data's big collections, kinds, exos and promise
  // watchers, with their state in the vatstore (spliced in by jsvat.go).
  const makeVatData = /*@@vatdata.js@@*/ null;
  let vatDataKit;
  const getVatData = () => {
    if (vatDataKit === undefined) {
      vatDataKit = makeVatData({ bridge, harden, Far, passStyleOf, isPromise: v => isPromise(v), q, Fail, getPatterns });
    }
    return vatDataKit;
  };
  const zoneModule = names => () => {
    const z = getVatData().zones;
    const m = {};
    for (const name of names) m[name] = z[name];
    return m;
  };
  lazyModules['@agoric/zone'] = zoneModule(['makeHeapZone', 'makeVirtualZone', 'makeDurableZone']);
  lazyModules['@agoric/zone/durable.js'] = zoneModule(['makeDurableZone']);
  lazyModules['@agoric/zone/virtual.js'] = zoneModule(['makeVirtualZone']);
  lazyModules['@agoric/zone/heap.js'] = zoneModule(['makeHeapZone']);
  lazyModules['@agoric/base-zone'] = zoneModule(['makeHeapZone']);
  lazyModules['@agoric/base-zone/heap.js'] = zoneModule(['makeHeapZone']);
  lazyModules['@agoric/vat-data'] = () => {
    const m = { ...getVatData().module };
    for (const name of 'M makeScalarMapStore makeScalarWeakMapStore makeScalarSetStore makeScalarWeakSetStore'.split(' ')) {
      m[name] = getPatterns()[name];
    }
    return m;
  };

  // --- @endo/nat ---------------------------------------------------------------
  const isNat = n => (typeof n === 'bigint' ? n >= 0n : typeof n === 'number' && Number.isSafeInteger(n) && n >= 0);
  const Nat = n => {
    if (typeof n === 'bigint') {
      if (n < 0n) throw RangeError(`${n} is negative`);
      return n;
    }
    if (typeof n === 'number') {
      if (!Number.isSafeInteger(n)) throw RangeError(`${n} is not a safe integer`);
      if (n < 0) throw RangeError(`${n} is negative`);
      return BigInt(n);
    }
    throw TypeError(`${String(n)} is a ${typeof n} but must be a bigint or a number`);
  };

  // --- modules ----------------------------------------------------------------
  const passStyle = { Far, Remotable, passStyleOf, makeTagged, getInterfaceOf, isPromise: v => isPromise(v) };
  const errors = { Fail, q, X, b: q, assert, makeError, annotateError, details: X, quote: q, redacted: X };
  const modules = {
    '@endo/far': { Far, Remotable, E, passStyleOf, makeTagged, getInterfaceOf },
    '@endo/eventual-send': { E },
    '@endo/promise-kit': { makePromiseKit },
    '@endo/nat': { Nat, isNat },
    '@endo/marshal': lazyExports({ ...passStyle }, [...marshalExports, ...passStyleExports]),
    '@endo/pass-style': lazyExports({ ...passStyle }, passStyleExports),
    '@endo/errors': errors,
    '@agoric/assert': { ...errors, assert, details: X, quote: q },
    '@agoric/kmarshal': kmarshal,
  };
  const sealModule = m => {
    const descs = getOwnPropertyDescriptors(m);
    for (const k of ownKeys(descs)) {
      if (!('value' in descs[k])) continue; // a lazy export: not built yet
      const v = descs[k].value;
      seal(v);
      if (typeof v === 'function' && v.prototype) seal(v.prototype);
      if (typeof v === 'function') Object.values(v).forEach(seal);
    }
    seal(m);
  };
  for (const name of keys(modules)) {
    modules[name].default = modules[name];
    sealModule(modules[name]);
  }
  function require(specifier) {
    let m = modules[specifier];
    if (m === undefined && lazyModules[specifier] !== undefined) {
      m = lazyModules[specifier]();
      m.default = m;
      sealModule(m);
      modules[specifier] = m;
    }
    if (m === undefined) {
      throw Error(`cannot import ${JSON.stringify(specifier)}: not a built-in module of Cooper vats`);
    }
    return m;
  }

  globalThis.harden = harden;
  globalThis.assert = assert;

  // Freeze the intrinsics: the global constructors and namespaces, their
  // prototypes and the hidden ones (iterators, generators, async functions).
  // The freeze is shallow and they join the hardened set, so harden() of
  // vat objects stops at them instead of walking every intrinsic again; a
  // deep freeze of the whole realm cost ~8 ms per vat.
  for (const name of ownKeys(globalThis)) {
    const d = Object.getOwnPropertyDescriptor(globalThis, name);
    if (name === 'globalThis' || !('value' in d)) continue;
    const v = d.value;
    if (typeof v === 'function') {
      seal(v);
      seal(getPrototypeOf(v));
      const pd = Object.getOwnPropertyDescriptor(v, 'prototype');
      if (pd && 'value' in pd) {
        seal(pd.value);
        seal(getPrototypeOf(pd.value));
      }
    } else if (typeof v === 'object' && v !== null) {
      seal(v);
    }
  }
  const generatorFunction = getPrototypeOf(function* () {});
  const arrayIterator = getPrototypeOf([][Symbol.iterator]());
  for (const v of [
    getPrototypeOf(async function () {}),
    generatorFunction,
    generatorFunction.prototype,
    arrayIterator,
    getPrototypeOf(arrayIterator),
    getPrototypeOf(new Map()[Symbol.iterator]()),
    getPrototypeOf(new Set()[Symbol.iterator]()),
    getPrototypeOf(''[Symbol.iterator]()),
  ]) {
    seal(v);
  }

  return {
    require,
    vatPowers: (sealModule(vatPowers), vatPowers),
    makeBaggage: () => getVatData().baggage(),
    // prepare builds the data-model kits and the baggage's representative
    // now rather than on first use: the wasm worker calls it in the
    // template every vat starts from (its glue holds back the baggage's
    // registration until the vat starts).
    prepare: () => {
      getPatterns();
      getVatData().baggage();
    },
    reanimate: vref => getVatData().reanimate(vref),
    vatDataHook: event => getVatData().upgradeHook(event),
    makePresence,
    kindOf,
    ifaceOf: v => ifaces.get(v),
    tagOf: v => v[Symbol.toStringTag],
    makeTagged,
    harden,
    sealFresh,
    noop: () => {},
    watch: (p, onFulfilled, onRejected) => {
      Promise.resolve(p).then(onFulfilled, onRejected);
    },
    makeError: (name, message) => {
      const ctors = { Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };
      const e = (ctors[name] || Error)(message);
      if (!(name in ctors)) {
        defineProperty(e, 'name', { value: name });
      }
      return harden(e);
    },
  };
});
