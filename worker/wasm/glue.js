// The engine side of a Cooper JS vat in a QuickJS wasm instance. Runs once
// per instance, after the prelude is compiled and before the bundle; vat
// code never sees it, the host function or the handle tables.
//
// Go holds JS values as numbered handles. Values cross the boundary as JSON
// text in a tree form ("wire"): strings, finite numbers, booleans and null
// are themselves; everything else is an array whose first element is a tag:
//   ["u"] undefined, ["n", "NaN"|"Infinity"|"-Infinity"|"-0"], ["b", digits]
//   bigint, ["y", name] well-known symbol, ["a", ...items], ["r", k1, v1, …]
//   record, ["t", tag, payload], ["e", name, message], ["h", id] a reference.
(function glue(host, parts) {
  'use strict';

  // prelude.js and passable.js; enc applies passable.js's rules itself,
  // in one walk (the goja worker runs passable.js).
  const [prelude] = parts;

  // The built-ins as they are before vat code runs: it may rebind the
  // globals, never these.
  const { String, Number, BigInt, Promise, Reflect, Error, TypeError, Map, WeakSet, Symbol, JSON, Object } = globalThis;
  const { stringify, parse } = JSON;
  const { defineProperty, keys: objectKeys, getPrototypeOf, getOwnPropertyDescriptor } = Object;
  const queueJob = queueMicrotask;
  const PromisePrototype = Promise.prototype;

  // --- host calls ----------------------------------------------------------
  // Ops of the Go handler (worker.go); negative ones are the engine's own.
  const OP = {
    isRemote: 1, send: 2, sendOnly: 3, console: 4, testLog: 5, exit: 6,
    // 7–10 were the data-only baggage of earlier versions.
    kser: 11, kunser: 12, watched: 13,
    vatstore: 14, serialize: 15, unserialize: 16, registerVirtual: 17, watchablePromise: 18,
    watchedValue: 19,
    isPromise: -1, promiseState: -2, promiseResult: -3, freezeOwn: -4, recordData: -5, arrayData: -6,
  };
  const call = (op, s) => {
    const r = host(op, s);
    if (r[0] === 'e') throw TypeError(r.slice(1));
    return r.slice(1);
  };
  // tell is call for an answer that is not used.
  const tell = (op, s) => {
    const r = host(op, s);
    if (r[0] === 'e') throw TypeError(r.slice(1));
  };

  // --- handles -------------------------------------------------------------
  // byId and kits are keyed by 2^52 + id, not by id: QuickJS hashes a
  // number by the words of its double, whose low word is 0 for a small
  // integer, and its table index keeps their trailing zeros, so small
  // integers share a few chains and a lookup walks hundreds of them.
  // 2^52 + id has the id as its low word.
  const spread = 4503599627370496;
  const byId = new Map();
  const idOf = new Map();
  let nextId = 1;
  const hid = v => {
    let id = idOf.get(v);
    if (id === undefined) {
      id = nextId;
      nextId += 1;
      idOf.set(v, id);
      byId.set(id + spread, v);
    }
    return id;
  };
  const obj = id => {
    const v = byId.get(id + spread);
    if (v === undefined && id !== 0 && !byId.has(id + spread)) throw Error(`wasm worker: unknown handle ${id}`);
    return v;
  };
  const release = id => {
    const k = id + spread;
    const v = byId.get(k);
    if (v !== undefined || byId.has(k)) {
      idOf.delete(v);
      byId.delete(k);
    }
  };

  const presences = new WeakSet(); // what P made
  const isPromise = v => host(OP.isPromise, v);

  const wellKnown = new Map();
  for (const name of ['hasInstance', 'isConcatSpreadable', 'iterator', 'match', 'replace', 'search', 'species', 'split', 'toPrimitive', 'toStringTag', 'unscopables']) {
    wellKnown.set(Symbol[name], `@@${name}`);
    wellKnown.set(`@@${name}`, Symbol[name]);
  }

  let env; // what the prelude returns

  // --- JS → wire ---------------------------------------------------------------
  class PassError extends Error {}
  // enc checks v with the passable rules and writes its wire form; a value
  // that cannot pass is a PassError with Endo's wording. It is what
  // encoding the node of passable.js's snapshot(v) came to, in one walk:
  // the same checks in the same order, on the same objects (so a proxy
  // sees the same traps, and the first failure is the same failure), the
  // same messages, and the handles of new references made in the same
  // order, once the walk passed. An unpassable symbol is reported only
  // if the rest passes, as encoding the node reported it.
  const maxDepth = 200; // passable.js's
  const objectPrototype = Object.prototype;
  const arrayPrototype = Array.prototype;
  const { isFrozen } = Object;
  const { ownKeys } = Reflect;
  const quote = k => stringify(String(k));
  let path; // the objects whose copy is under way, outermost first
  let fresh; // the ["h", object] nodes of references without a handle yet
  let badSymbol; // the message of the first unpassable symbol
  function enc(v) {
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null) {
      return encScalar(v); // what checks.snapshot(v) and encNode come to
    }
    // A proxy trap the walk runs may encode another value: each walk has
    // its own state.
    const outerPath = path;
    const outerFresh = fresh;
    const outerBad = badSymbol;
    path = undefined;
    fresh = undefined;
    badSymbol = undefined;
    try {
      let w;
      try {
        try {
          env.harden(v);
        } catch (e) {
          throw new PassError(`Cannot pass a value that cannot be hardened: ${e && e.message}`);
        }
        w = walk(v);
      } catch (e) {
        throw new PassError(e && e.message !== undefined ? String(e.message) : String(e));
      }
      if (badSymbol !== undefined) throw new PassError(badSymbol);
      if (fresh !== undefined) {
        for (let i = 0; i < fresh.length; i += 1) fresh[i][1] = hid(fresh[i][1]);
      }
      return w;
    } finally {
      path = outerPath;
      fresh = outerFresh;
      badSymbol = outerBad;
    }
  }
  const ref = v => {
    const id = idOf.get(v);
    if (id !== undefined) return ['h', id];
    const w = ['h', v];
    if (fresh === undefined) fresh = [w];
    else fresh.push(w);
    return w;
  };
  // dataValue reads an own, enumerable data property (passable.js's).
  const dataValue = (v, k, what) => {
    const d = getOwnPropertyDescriptor(v, k);
    if (d === undefined) {
      throw new PassError(typeof k === 'number' ? `Arrays must not have holes: index ${k} is missing` : `${quote(k)} property expected in ${what}`);
    }
    if (!('value' in d)) throw new PassError(`${quote(k)} must not be an accessor property of ${what}`);
    if (!d.enumerable) throw new PassError(`${quote(k)} must be an enumerable property of ${what}`);
    return d.value;
  };
  function walk(v) {
    const t = typeof v;
    if (t !== 'object') {
      switch (t) {
        case 'string':
        case 'boolean':
          return v;
        case 'symbol': {
          const name = wellKnown.get(v);
          if (name !== undefined) return ['y', name];
          if (badSymbol === undefined) badSymbol = `cannot pass ${String(v)}: only well-known symbols can be passed`;
          return null;
        }
        case 'function':
          if (env.kindOf(v) === 'remotable') return ref(v);
          throw new PassError(`Cannot pass non-remotable function ${quote(v.name)}: make it Far or put it in a Far object`);
        default:
          return encScalar(v); // a number, undefined or a bigint
      }
    }
    if (v === null) return null;
    const kind = env.kindOf(v);
    if (kind === 'remotable' || kind === 'promise') return ref(v);
    // A frozen array or record that is no proxy, whose properties are all
    // as they must be, comes as its data, read in C (qjs.OpRecordData,
    // OpArrayData), and then only what may still fail is checked, in the
    // same order.
    let data;
    if (kind === 'record') data = host(OP.recordData, v);
    else if (kind === 'array') data = host(OP.arrayData, v);
    if (data === undefined && !isFrozen(v)) throw new PassError('Cannot pass non-frozen objects. Use harden()');
    if (path === undefined) {
      path = [v];
    } else {
      if (path.indexOf(v) >= 0) throw new PassError('Pass-by-copy data cannot be cyclic');
      if (path.length >= maxDepth) throw new PassError(`Pass-by-copy data cannot be nested deeper than ${maxDepth}`);
      path.push(v);
    }
    const w = data === undefined ? copy(v, kind) : copyData(v, kind, data);
    path.pop();
    return w;
  }
  // copyData is copy for an array or a record whose data C read.
  function copyData(v, kind, data) {
    if (kind === 'array') {
      if (getPrototypeOf(v) !== arrayPrototype) throw new PassError('Malformed array: it does not inherit from Array.prototype');
      const out = ['a'];
      for (let i = 0; i < data.length; i += 1) out.push(walk(data[i]));
      return out;
    }
    if (getPrototypeOf(v) !== objectPrototype) {
      throw new PassError('Records must inherit from Object.prototype (class instances cannot be passed: make them Far, or copy their data)');
    }
    for (let i = 0; i < data.length; i += 2) {
      if (data[i] === 'then' && typeof data[i + 1] === 'function') throw new PassError('Cannot pass non-promise thenables');
    }
    const out = ['r'];
    for (let i = 0; i < data.length; i += 2) {
      const pv = data[i + 1];
      if (typeof pv === 'function' && env.kindOf(pv) !== 'remotable') {
        throw new PassError(`Records cannot contain non-far functions: ${quote(data[i])} (use Far for objects with methods)`);
      }
      out.push(data[i], walk(pv));
    }
    return out;
  }
  function copy(v, kind) {
    switch (kind) {
      case 'array': {
        if (getPrototypeOf(v) !== arrayPrototype) throw new PassError('Malformed array: it does not inherit from Array.prototype');
        const d = getOwnPropertyDescriptor(v, 'length');
        const n = d && d.value;
        const out = ['a'];
        for (let i = 0; i < n; i += 1) out.push(walk(dataValue(v, i, 'an array')));
        if (ownKeys(v).length !== n + 1) throw new PassError('Arrays must not have non-indexes');
        return out;
      }
      case 'error': {
        const nd = getOwnPropertyDescriptor(v, 'name');
        const md = getOwnPropertyDescriptor(v, 'message');
        if ((nd && !('value' in nd)) || (md && !('value' in md))) throw new PassError('Errors must not have accessor properties');
        return ['e', String(nd ? nd.value : v.name), md ? String(md.value) : ''];
      }
      case 'tagged': {
        const tag = String(env.tagOf(v));
        return ['t', tag, walk(dataValue(v, 'payload', 'a tagged'))];
      }
      default:
    }
    if (getPrototypeOf(v) !== objectPrototype) {
      throw new PassError('Records must inherit from Object.prototype (class instances cannot be passed: make them Far, or copy their data)');
    }
    const thenDesc = getOwnPropertyDescriptor(v, 'then');
    if (thenDesc && typeof thenDesc.value === 'function') throw new PassError('Cannot pass non-promise thenables');
    const out = ['r'];
    const ks = ownKeys(v);
    for (let i = 0; i < ks.length; i += 1) {
      const k = ks[i];
      if (typeof k !== 'string') throw new PassError(`Records can only have string-named properties, not ${String(k)}`);
      const pv = dataValue(v, k, 'a record');
      if (typeof pv === 'function' && env.kindOf(pv) !== 'remotable') {
        throw new PassError(`Records cannot contain non-far functions: ${quote(k)} (use Far for objects with methods)`);
      }
      out.push(k, walk(pv));
    }
    return out;
  }
  function encScalar(v) {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v;
      case 'undefined':
        return ['u'];
      case 'number':
        if (v !== v) return ['n', 'NaN'];
        if (v === Infinity) return ['n', 'Infinity'];
        if (v === -Infinity) return ['n', '-Infinity'];
        if (v === 0 && 1 / v < 0) return ['n', '-0'];
        return v;
      case 'bigint':
        return ['b', String(v)];
      case 'symbol': {
        const name = wellKnown.get(v);
        if (name === undefined) throw new PassError(`cannot pass ${String(v)}: only well-known symbols can be passed`);
        return ['y', name];
      }
      default:
    }
    if (v === null) return null;
    throw new PassError('wasm worker: not a scalar');
  }
  // text is the wire text of w, a wire value: JSON.stringify's, which
  // costs more than writing a number or a boolean (a number in the wire is
  // finite and not -0, so its JSON is its string).
  const text = w => {
    switch (typeof w) {
      case 'number':
        return `${w}`;
      case 'boolean':
        return w ? 'true' : 'false';
      case 'object':
        if (w !== null && w[0] === 'h') return `["h",${w[1]}]`;
        return stringify(w);
      default:
        return stringify(w);
    }
  };
  // scalarText is text(encScalar(v)) for v, a primitive but a symbol.
  const scalarText = v => {
    if (typeof v === 'number' && v === v && v !== Infinity && v !== -Infinity && (v !== 0 || 1 / v > 0)) return `${v}`;
    return text(encScalar(v));
  };
  // wire returns the wire text of v, or throws a PassError (a string or a
  // number without the walk).
  const wire = v => {
    if (typeof v === 'string') return stringify(v);
    if (typeof v === 'number') return scalarText(v);
    return text(enc(v));
  };
  // passMessage is the message of a PassError, or rethrows anything else.
  const passMessage = e => {
    if (e instanceof PassError) return e.message;
    throw e;
  };

  // --- wire → JS -----------------------------------------------------------------
  // dec builds the value of w hardened: the arrays and records it makes
  // are new, so each is frozen and counted as hardened as it is made; the
  // objects its handles name are pushed on pending, for hardenFrom. That
  // hardens the same objects in the same order as harden() of the whole
  // value would, which visits them last first (so that a proxy among them
  // sees the same traps): a tagged value's payload is hardened when it is
  // made, as makeTagged does, and the rest at the end. pending is a stack:
  // a decode that starts while another hardens (in a proxy trap) works
  // above it.
  const specials = { NaN, Infinity, '-Infinity': -Infinity, '-0': -0 };
  const pending = [];
  function dec(w) {
    if (typeof w !== 'object' || w === null) return w;
    switch (w[0]) {
      case 'h': {
        const v = obj(w[1]);
        // A presence is hardened as it is made: hardening it again would
        // do nothing.
        if ((typeof v === 'object' || typeof v === 'function') && v !== null && !presences.has(v)) pending.push(v);
        return v;
      }
      case 'r': {
        const out = {};
        const base = pending.length;
        let ends; // pending.length after each property, once one pushed
        for (let i = 1; i < w.length; i += 2) {
          const k = w[i];
          const v = dec(w[i + 1]);
          // An assignment defines the property as defineProperty does,
          // unless Object.prototype has the key (frozen there, or the
          // __proto__ accessor).
          if (k in objectPrototype) defineProperty(out, k, { value: v, writable: true, enumerable: true, configurable: true });
          else out[k] = v;
          if (ends !== undefined) {
            ends.push(pending.length);
          } else if (pending.length !== base) {
            ends = [];
            for (let j = 1; j < i; j += 2) ends.push(base);
            ends.push(pending.length);
          }
        }
        if (ends !== undefined && indexKeyed(w)) byKey(out, w, base, ends);
        return env.sealFresh(out);
      }
      case 'a': {
        const out = [];
        for (let i = 1; i < w.length; i += 1) out.push(dec(w[i]));
        return env.sealFresh(out);
      }
      case 'u': return undefined;
      case 'n': return specials[w[1]];
      case 'b': return BigInt(w[1]);
      case 'y': return wellKnown.has(w[1]) ? wellKnown.get(w[1]) : w[1];
      case 't': {
        const start = pending.length;
        const payload = dec(w[2]);
        hardenFrom(start);
        return env.makeTagged(w[1], payload);
      }
      case 'e': return env.makeError(w[1], w[2]);
      default: throw Error(`wasm worker: bad wire tag ${stringify(w[0])}`);
    }
  }
  // indexKeyed tells whether a record's wire may have an array-index key.
  const indexKeyed = w => {
    for (let i = 1; i < w.length; i += 2) {
      const k = w[i];
      if (typeof k !== 'string' || (k.length > 0 && k[0] >= '0' && k[0] <= '9')) return true;
    }
    return false;
  };
  // byKey reorders pending from base on, the objects a record's values
  // pushed (ends[j] is pending's length after the j-th), by the order of
  // out's keys: harden() visits the properties in their order, array-index
  // keys first, ascending.
  const byKey = (out, w, base, ends) => {
    const blocks = new Map();
    for (let i = 1, j = 0; i < w.length; i += 2, j += 1) blocks.set(String(w[i]), pending.slice(j === 0 ? base : ends[j - 1], ends[j]));
    pending.length = base;
    const ks = Reflect.ownKeys(out);
    for (let i = 0; i < ks.length; i += 1) {
      const b = blocks.get(ks[i]);
      for (let j = 0; j < b.length; j += 1) pending.push(b[j]);
    }
  };
  // hardenFrom hardens pending from base on, last first, and drops them.
  const hardenFrom = base => {
    const end = pending.length;
    if (end === base) return;
    try {
      for (let i = end - 1; i >= base; i -= 1) env.harden(pending[i]);
    } finally {
      pending.length = base;
    }
  };
  // undecoded returns the hardened value of a parsed wire value.
  const undecoded = w => {
    if (typeof w !== 'object' || w === null) return w;
    const base = pending.length;
    let v;
    try {
      v = dec(w);
    } catch (e) {
      pending.length = base;
      throw e;
    }
    hardenFrom(base);
    return v;
  };
  // unwire decodes wire text into a hardened value.
  const unwire = s => undecoded(parse(s));

  // --- the bridge the prelude closes over (see worker/js/bridge.go) -------------
  const methodName = method => {
    if (typeof method === 'string') return method;
    if (typeof method === 'symbol') {
      const n = wellKnown.get(method);
      if (n === undefined) throw TypeError('cannot send a message named by a non-well-known symbol');
      return n;
    }
    return String(method);
  };
  // argsText is the wire text of a send's arguments, each after a comma.
  // args is the rest-parameter array the prelude's E made: a genuine
  // array, so only its elements need the passable checks (as in the goja
  // bridge).
  const argsText = (name, args) => {
    let s = '';
    try {
      for (let i = 0; i < args.length; i += 1) s += `,${wire(args[i])}`;
    } catch (e) {
      throw TypeError(`cannot send ${name}: ${passMessage(e)}`);
    }
    return s;
  };
  const kits = new Map(); // promise id → { promise, resolve, reject }
  // newKit keeps the resolvers of a promise Go settles; it returns its id.
  const newKit = kit => {
    const id = hid(kit.promise);
    kits.set(id + spread, kit);
    return id;
  };
  let krefOf; // kser's callback, during a kser call
  let kslot; // kunser's callback, during a kunser call
  // Registrations of representatives made while the template is prepared
  // (op Z), when there is no vat yet: held, then made first thing in the
  // vat's startVat (op S), where the vat made them before.
  let held;
  let heldForStart = [];
  const bridge = {
    isPromise,
    // harden's loop body for v, in C, unless v is a proxy (qjs.OpFreezeOwn).
    freezeOwn: v => host(OP.freezeOwn, v),
    // A presence (P) is an import for good: liveslots registers it under its
    // vref as it is made and never drops it; other objects ask Go.
    isRemote: x => presences.has(x) || (idOf.has(x) && call(OP.isRemote, String(idOf.get(x))) === '1'),
    // send and sendOnly tell Go [target handle, result handle (0 for
    // none), arg wire...] NUL method; the result's promise is made here,
    // for Go's NewPromise to take (rather than a call back for it).
    send: (x, method, args) => {
      const name = methodName(method);
      const s = argsText(name, args);
      const kit = Promise.withResolvers();
      tell(OP.send, `[${hid(x)},${newKit(kit)}${s}]\u0000${name}`);
      return kit.promise;
    },
    sendOnly: (x, method, args) => {
      const name = methodName(method);
      const s = argsText(name, args);
      tell(OP.sendOnly, `[${hid(x)},0${s}]\u0000${name}`);
    },
    console: (level, line) => {
      tell(OP.console, `${level}\u0000${line}`);
    },
    testLog: line => {
      tell(OP.testLog, String(line));
    },
    exit: (failure, v) => {
      let w;
      try {
        w = enc(v);
      } catch (e) {
        throw TypeError(passMessage(e));
      }
      tell(OP.exit, stringify([!!failure, w]));
    },
    // vatstore(op, key, value): "get"/"next" answer a string or undefined.
    vatstore: (op, key, value) => {
      const r = call(OP.vatstore, stringify([String(op), String(key), value === undefined ? '' : String(value)]));
      return r === '' ? undefined : r.slice(1);
    },
    serialize: value => {
      let w;
      try {
        w = wire(value);
      } catch (e) {
        throw TypeError(passMessage(e));
      }
      return parse(call(OP.serialize, w));
    },
    unserialize: (body, slots) => {
      const list = [];
      const n = slots.length;
      if (!(n >= 0 && n <= 10000)) throw TypeError('unserialize: too many slots');
      for (let i = 0; i < n; i += 1) list.push(String(slots[i]));
      return unwire(call(OP.unserialize, stringify([String(body), list])));
    },
    watchablePromise: p => call(OP.watchablePromise, String(hid(p))),
    registerVirtual: (rep, vref) => {
      if (held !== undefined) {
        held.push([rep, String(vref)]);
        return;
      }
      tell(OP.registerVirtual, `[${hid(rep)},${stringify(String(vref))}]`);
    },
    kser: (value, f) => {
      let w;
      try {
        w = wire(value);
      } catch (e) {
        throw TypeError(`kser: ${passMessage(e)}`);
      }
      krefOf = f;
      try {
        const [body, slots] = parse(call(OP.kser, w));
        return { body, slots };
      } finally {
        krefOf = undefined;
      }
    },
    kunser: (body, slots, f) => {
      const list = [];
      if (typeof slots === 'object' && slots !== null) {
        const n = slots.length;
        if (!(n >= 0 && n <= 10000)) throw TypeError('kunser: too many slots');
        for (let i = 0; i < n; i += 1) list.push(String(slots[i]));
      }
      kslot = f;
      try {
        return unwire(call(OP.kunser, stringify([String(body), list])));
      } finally {
        kslot = undefined;
      }
    },
  };

  env = prelude(bridge);
  delete globalThis.performance;

  const module = { exports: {} };

  // --- what Go calls -------------------------------------------------------------
  const describeThrown = v => {
    if (typeof v === 'object' && v !== null && v.message !== undefined) {
      return `${v.name === undefined ? 'Error' : String(v.name)}: ${String(v.message)}`;
    }
    return String(v);
  };
  // describeValue names a value for an error, as the goja worker does.
  const describeValue = v => {
    switch (typeof v) {
      case 'undefined':
        return 'undefined';
      case 'string':
        return stringify(v.length > 40 ? `${v.slice(0, 40)}\u2026` : v);
      case 'bigint':
        return `${v}n`;
      case 'symbol':
        return String(v);
      case 'function':
        return 'a function';
      case 'object':
        if (v === null) return 'null';
        return Array.isArray(v) ? 'an array' : 'a non-Far object';
      default:
        return String(v);
    }
  };
  const noArgs = Object.freeze([]);
  const rejected = (name, message) => Promise.reject(env.makeError(name, message));
  // classify is "r" + the interface of a remotable, "p" for a promise, else "".
  const classify = v => {
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null) return '';
    switch (env.kindOf(v)) {
      case 'remotable': {
        const iface = env.ifaceOf(v);
        return `r${iface === undefined ? '' : iface}`;
      }
      case 'promise':
        return 'p';
      default:
        return '';
    }
  };
  // byValue tells whether a method's result goes back to Go as its wire
  // form rather than as a handle: a primitive that always passes.
  const byValue = v => (typeof v !== 'object' && typeof v !== 'function' && typeof v !== 'symbol') || v === null;
  // watch reports to Go (watch n) how v settles, from a later job: what
  // liveslots' Watch asks.
  const watch = (v, n) => {
    Promise.resolve(v).then(x => watchReport(n, false, x), e => watchReport(n, true, e));
  };
  // plainPromise tells whether p, a native promise, is one that watch can
  // follow with its own then without running vat code: Promise.resolve(p)
  // reads p.constructor and then p.then, which are Promise.prototype's
  // (frozen) unless p has its own or another prototype (a promise with
  // no own property at all is asked no more).
  const plainPromise = p => getPrototypeOf(p) === PromisePrototype && (ownKeys(p).length === 0 ||
    (getOwnPropertyDescriptor(p, 'constructor') === undefined && getOwnPropertyDescriptor(p, 'then') === undefined));
  // invoke calls method on the target of handle id with the arguments
  // args[from:] (wire); a failure is a rejected promise.
  const invoke = (id, method, m, from) => {
    const target = obj(id);
    if ((typeof target !== 'object' && typeof target !== 'function') || target === null) {
      return rejected('TypeError', 'target is not a JS object');
    }
    const f = target[method];
    if (typeof f !== 'function') {
      const names = objectKeys(target).filter(k => typeof target[k] === 'function').map(k => stringify(k));
      return rejected('TypeError', `target has no method ${stringify(method)}, has [${names.join(',')}]`);
    }
    // The arguments are hardened as harden(args) would (the array itself
    // is never seen by vat code).
    let args = noArgs;
    if (m.length > from) {
      const base = pending.length;
      args = [];
      try {
        for (let i = from; i < m.length; i += 1) args.push(dec(m[i]));
      } catch (e) {
        pending.length = base;
        throw e;
      }
      hardenFrom(base);
    }
    try {
      return Reflect.apply(f, target, args);
    } catch (e) {
      return Promise.reject(e);
    }
  };
  const watchReport = (w, rejectedFlag, v) => {
    let s;
    try {
      s = wire(v);
    } catch (e) {
      s = stringify(['e', 'TypeError', passMessage(e)]);
      rejectedFlag = true;
    }
    tell(OP.watched, `[${w},${rejectedFlag},${s}]`);
  };
  const ops = {
    // module('', fn): evaluates the bundle's module body fn; "" or "x" + the error.
    M: (_s, moduleFn) => {
      try {
        moduleFn(env.require, module.exports, module);
        return '';
      } catch (e) {
        try {
          return `x${String(e)}`;
        } catch (e2) {
          return 'xan exception whose description throws';
        }
      }
    },
    // start(params wire): the root object's handle, or "x" + why not.
    S: s => {
      const exp = module.exports;
      if ((typeof exp !== 'object' && typeof exp !== 'function') || exp === null) {
        return 'xthe bundle exports no buildRootObject';
      }
      const build = exp.buildRootObject;
      if (typeof build !== 'function') {
        return `xthe bundle exports no buildRootObject function (exports: ${objectKeys(exp).join(', ')})`;
      }
      const params = unwire(s);
      const prepared = heldForStart;
      heldForStart = [];
      for (let i = 0; i < prepared.length; i += 1) bridge.registerVirtual(prepared[i][0], prepared[i][1]);
      const bag = env.makeBaggage();
      let root;
      try {
        root = build(env.vatPowers, params, bag);
      } catch (e) {
        return `x${describeThrown(e)}`;
      }
      const kind = (typeof root === 'object' || typeof root === 'function') && root !== null ? env.kindOf(root) : '';
      if (kind !== 'remotable' && kind !== 'promise') {
        return `xit returned ${describeValue(root)}, which is not Far (make the root object with Far)`;
      }
      return `h${hid(root)}`;
    },
    P: iface => {
      const p = env.makePresence(iface);
      presences.add(p);
      return String(hid(p));
    },
    N: () => String(newKit(Promise.withResolvers())),
    // settle([id, rejected, wire])
    R: s => {
      const m = parse(s);
      const k = m[0] + spread;
      const kit = kits.get(k);
      if (kit === undefined) return '';
      kits.delete(k);
      const v = undecoded(m[2]);
      if (m[1]) kit.reject(v);
      else kit.resolve(v);
      return '';
    },
    C: s => classify(obj(Number(s))),
    // settled(id): "" if pending or not a promise, else "f"/"r" + wire.
    T: s => {
      const p = obj(Number(s));
      const state = host(OP.promiseState, p);
      if (state !== 1 && state !== 2) return '';
      try {
        return (state === 2 ? 'r' : 'f') + wire(host(OP.promiseResult, p));
      } catch (e) {
        return `r${stringify(['e', 'TypeError', passMessage(e)])}`;
      }
    },
    // invoke([id, method, arg wire...]): "v" + the wire of a primitive
    // result, else "h" + its handle.
    I: s => {
      const m = parse(s);
      const res = invoke(m[0], m[1], m, 2);
      return byValue(res) ? `v${scalarText(res)}` : `h${hid(res)}`;
    },
    // follow([id, watch id, method, arg wire...]): invoke, then what C and W
    // would do with the result: "v" + the wire of a primitive result, "w" +
    // the handle of a promise, "o" + the handle of anything else, watched;
    // or "p" + the handle of a promise that W is still to watch, after Go
    // registered it (its watch could run vat code that sends it).
    F: s => {
      const m = parse(s);
      const n = m[1];
      const res = invoke(m[0], m[2], m, 3);
      if (byValue(res)) {
        queueJob(() => {
          host(OP.watchedValue, n);
        });
        return `v${scalarText(res)}`;
      }
      const id = hid(res);
      if (classify(res) === 'p') {
        if (!plainPromise(res)) return `p${id}`;
        res.then(x => watchReport(n, false, x), e => watchReport(n, true, e));
        return `w${id}`;
      }
      // Anything else is watched here too: what watch runs (a then getter,
      // say) could not tell, as Go registers nothing for it in between.
      watch(res, n);
      return `o${id}`;
    },
    // watch([id, watch id]), or [0, watch id, wire] for a value.
    W: s => {
      const m = parse(s);
      watch(m.length > 2 ? undecoded(m[2]) : obj(m[0]), m[1]);
      return '';
    },
    // reanimate(vref): the handle of the representative, or "x" + why not.
    V: s => {
      try {
        return `h${hid(env.reanimate(s))}`;
      } catch (e) {
        return `x${describeThrown(e)}`;
      }
    },
    // hook(event): "" or "x" + the error.
    H: s => {
      try {
        env.vatDataHook(s);
        return '';
      } catch (e) {
        return `x${describeThrown(e)}`;
      }
    },
    // kref(id): krefOf(value) during kser.
    K: s => {
      try {
        return `r${krefOf(obj(Number(s)))}`;
      } catch (e) {
        return 'x';
      }
    },
    // kslot([ref, iface]): the handle of kslot(ref, iface) during kunser.
    L: s => {
      const [ref, iface] = parse(s);
      return String(hid(kslot(ref, iface)));
    },
    // prepare(''): build the data-model kits, in the template.
    Z: () => {
      held = [];
      try {
        env.prepare();
      } finally {
        heldForStart = held;
        held = undefined;
      }
      return '';
    },
    // release(ids): forget handles Go no longer holds; the ids may be
    // followed by the next operation, run after.
    D: (s, v) => {
      const end = s.indexOf(']') + 1;
      const ids = parse(s.slice(0, end));
      for (let i = 0; i < ids.length; i += 1) release(ids[i]);
      return end < s.length ? dispatch(s.slice(end), v) : '';
    },
  };
  const dispatch = (s, v) => ops[s[0]](s.slice(1), v);
  return dispatch;
});
