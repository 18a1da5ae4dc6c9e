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

  const [prelude, passable] = parts; // prelude.js and passable.js

  const { stringify, parse } = JSON;
  const { defineProperty, keys: objectKeys, getOwnPropertySymbols } = Object;
  const MAX_DEPTH = 200;

  // --- host calls ----------------------------------------------------------
  // Ops of the Go handler (worker.go); negative ones are the engine's own.
  const OP = {
    isRemote: 1, send: 2, sendOnly: 3, console: 4, testLog: 5, exit: 6,
    // 7–10 were the data-only baggage of earlier versions.
    kser: 11, kunser: 12, watched: 13,
    vatstore: 14, serialize: 15, unserialize: 16, registerVirtual: 17, watchablePromise: 18,
    isPromise: -1, promiseState: -2, promiseResult: -3,
  };
  const call = (op, s) => {
    const r = host(op, s);
    if (r[0] === 'e') throw TypeError(r.slice(1));
    return r.slice(1);
  };

  // --- handles -------------------------------------------------------------
  const byId = new Map();
  const idOf = new Map();
  let nextId = 1;
  const hid = v => {
    let id = idOf.get(v);
    if (id === undefined) {
      id = nextId;
      nextId += 1;
      idOf.set(v, id);
      byId.set(id, v);
    }
    return id;
  };
  const obj = id => {
    if (id === 0) return undefined;
    if (!byId.has(id)) throw Error(`wasm worker: unknown handle ${id}`);
    return byId.get(id);
  };
  const release = id => {
    if (byId.has(id)) {
      idOf.delete(byId.get(id));
      byId.delete(id);
    }
  };

  const isPromise = v => host(OP.isPromise, v);

  const wellKnown = new Map();
  for (const name of ['hasInstance', 'isConcatSpreadable', 'iterator', 'match', 'replace', 'search', 'species', 'split', 'toPrimitive', 'toStringTag', 'unscopables']) {
    wellKnown.set(Symbol[name], `@@${name}`);
    wellKnown.set(`@@${name}`, Symbol[name]);
  }

  let env; // what the prelude returns

  // --- JS → wire ---------------------------------------------------------------
  class PassError extends Error {}
  let checks; // passable.js on env: { snapshot, makeRecord }
  // enc checks v with the passable rules (passable.js: no getters, proxies,
  // holes, class instances, cycles...) and writes its wire form; a value
  // that cannot pass is a PassError with Endo's wording.
  function enc(v) {
    let node;
    try {
      node = checks.snapshot(v);
    } catch (e) {
      throw new PassError(e && e.message !== undefined ? String(e.message) : String(e));
    }
    return encNode(node);
  }
  // encNode writes the wire form of a passable.js node.
  function encNode(n) {
    if (typeof n !== 'object' || n === null) return encScalar(n);
    switch (n[0]) {
      case 'remotable':
      case 'promise':
        return ['h', hid(n[1])];
      case 'array':
        return ['a', ...n[1].map(encNode)];
      case 'record': {
        const out = ['r'];
        for (let i = 0; i < n[1].length; i += 1) out.push(n[1][i], encNode(n[2][i]));
        return out;
      }
      case 'error':
        return ['e', n[1], n[2]];
      case 'tagged':
        return ['t', n[1], encNode(n[2])];
      default:
        throw new PassError(`wasm worker: unknown node ${stringify(n[0])}`);
    }
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
  // wire returns the wire text of v, or throws a PassError.
  const wire = v => stringify(enc(v));
  // passMessage is the message of a PassError, or rethrows anything else.
  const passMessage = e => {
    if (e instanceof PassError) return e.message;
    throw e;
  };

  // --- wire → JS -----------------------------------------------------------------
  const specials = { NaN, Infinity, '-Infinity': -Infinity, '-0': -0 };
  function dec(w) {
    if (typeof w !== 'object' || w === null) return w;
    switch (w[0]) {
      case 'u': return undefined;
      case 'n': return specials[w[1]];
      case 'b': return BigInt(w[1]);
      case 'y': return wellKnown.has(w[1]) ? wellKnown.get(w[1]) : w[1];
      case 'a': {
        const out = [];
        for (let i = 1; i < w.length; i += 1) out.push(dec(w[i]));
        return out;
      }
      case 'r': {
        const out = {};
        for (let i = 1; i < w.length; i += 2) {
          defineProperty(out, w[i], { value: dec(w[i + 1]), writable: true, enumerable: true, configurable: true });
        }
        return out;
      }
      case 't': return env.makeTagged(w[1], dec(w[2]));
      case 'e': return env.makeError(w[1], w[2]);
      case 'h': return obj(w[1]);
      default: throw Error(`wasm worker: bad wire tag ${stringify(w[0])}`);
    }
  }
  // unwire decodes wire text into a hardened value.
  const unwire = s => env.harden(dec(parse(s)));
  // undecoded hardens a wire value that arrived already parsed, inside a larger message.
  const undecoded = w => env.harden(dec(w));

  // --- the bridge the prelude closes over (see worker/js/bridge.go) -------------
  const methodName = method => {
    if (typeof method === 'symbol') {
      const n = wellKnown.get(method);
      if (n === undefined) throw TypeError('cannot send a message named by a non-well-known symbol');
      return n;
    }
    return String(method);
  };
  const sendArgs = (x, method, args) => {
    const name = methodName(method);
    let a;
    try {
      a = enc(args);
    } catch (e) {
      throw TypeError(`cannot send ${name}: ${passMessage(e)}`);
    }
    return stringify([hid(x), name, a]);
  };
  let krefOf; // kser's callback, during a kser call
  let kslot; // kunser's callback, during a kunser call
  const bridge = {
    isPromise,
    isRemote: x => idOf.has(x) && call(OP.isRemote, String(idOf.get(x))) === '1',
    send: (x, method, args) => obj(Number(call(OP.send, sendArgs(x, method, args)))),
    sendOnly: (x, method, args) => {
      call(OP.sendOnly, sendArgs(x, method, args));
    },
    console: (level, line) => {
      call(OP.console, `${level}\u0000${line}`);
    },
    testLog: line => {
      call(OP.testLog, String(line));
    },
    exit: (failure, v) => {
      let w;
      try {
        w = enc(v);
      } catch (e) {
        throw TypeError(passMessage(e));
      }
      call(OP.exit, stringify([!!failure, w]));
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
      call(OP.registerVirtual, stringify([hid(rep), String(vref)]));
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
  checks = passable(env);
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
  const rejected = (name, message) => Promise.reject(env.makeError(name, message));
  const kits = new Map(); // promise id → [resolve, reject]
  const watchReport = (w, rejectedFlag, v) => {
    let s;
    try {
      s = enc(v);
    } catch (e) {
      s = ['e', 'TypeError', passMessage(e)];
      rejectedFlag = true;
    }
    call(OP.watched, stringify([w, rejectedFlag, s]));
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
    P: iface => String(hid(env.makePresence(iface))),
    N: () => {
      let kit;
      const p = new Promise((resolve, reject) => {
        kit = [resolve, reject];
      });
      const id = hid(p);
      kits.set(id, kit);
      return String(id);
    },
    // settle([id, rejected, wire])
    R: s => {
      const [id, rej, w] = parse(s);
      const kit = kits.get(id);
      if (kit === undefined) return '';
      kits.delete(id);
      kit[rej ? 1 : 0](undecoded(w));
      return '';
    },
    C: s => {
      const v = obj(Number(s));
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
    },
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
    // invoke([id, method, args wire]): the handle of the result.
    I: s => {
      const [id, method, argsWire] = parse(s);
      const target = obj(id);
      if ((typeof target !== 'object' && typeof target !== 'function') || target === null) {
        return String(hid(rejected('TypeError', 'target is not a JS object')));
      }
      const m = target[method];
      if (typeof m !== 'function') {
        const names = objectKeys(target).filter(k => typeof target[k] === 'function').map(k => stringify(k));
        return String(hid(rejected('TypeError', `target has no method ${stringify(method)}, has [${names.join(',')}]`)));
      }
      const args = undecoded(argsWire);
      let res;
      try {
        res = Reflect.apply(m, target, args);
      } catch (e) {
        return String(hid(Promise.reject(e)));
      }
      return String(hid(res));
    },
    // watch([id, watch id])
    W: s => {
      const [id, w] = parse(s);
      Promise.resolve(obj(id)).then(v => watchReport(w, false, v), e => watchReport(w, true, e));
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
    // release(ids): forget handles Go no longer holds.
    D: s => {
      for (const id of parse(s)) release(id);
      return '';
    },
  };
  return (s, v) => ops[s[0]](s.slice(1), v);
});
