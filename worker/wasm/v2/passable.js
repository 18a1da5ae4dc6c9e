// The passable checks of a Cooper JS vat, on every engine: what crosses the vat
// boundary is read here, once, by trusted code, and handed to Go as fresh
// plain arrays that vat code never saw, so no getter, proxy trap or later
// mutation can run or change anything while Go converts it.
//
// Runs once per runtime after the prelude, before the vat's bundle, as a
// function of the prelude's env; returns { snapshot, makeRecord }.
//
// snapshot(v) hardens v (as liveslots hardens a resolution before it
// serializes it) and checks it with the rules of @endo/pass-style's
// passStyleOf, throwing a TypeError worded as Endo words it. It returns v
// itself for a primitive, else a node:
//   ['remotable', obj] ['promise', obj]
//   ['array', [node...]] ['record', [key...], [node...]]
//   ['error', name, message] ['tagged', tag, node]
(function passable(env) {
  'use strict';

  const { getPrototypeOf, getOwnPropertyDescriptor, defineProperty, isFrozen, prototype: objectPrototype } = Object;
  const { ownKeys } = Reflect;
  const { isArray, prototype: arrayPrototype } = Array;
  const { kindOf, tagOf, harden } = env;
  const maxDepth = 200;
  const TypeErrorCtor = TypeError;
  const quote = k => JSON.stringify(String(k));

  // dataValue reads an own, enumerable data property (Endo's
  // confirmOwnDataDescriptor).
  const dataValue = (v, k, what) => {
    const d = getOwnPropertyDescriptor(v, k);
    if (d === undefined) {
      throw TypeErrorCtor(typeof k === 'number' ? `Arrays must not have holes: index ${k} is missing` : `${quote(k)} property expected in ${what}`);
    }
    if (!('value' in d)) throw TypeErrorCtor(`${quote(k)} must not be an accessor property of ${what}`);
    if (!d.enumerable) throw TypeErrorCtor(`${quote(k)} must be an enumerable property of ${what}`);
    return d.value;
  };

  function snapshot(root) {
    try {
      harden(root);
    } catch (e) {
      throw TypeErrorCtor(`Cannot pass a value that cannot be hardened: ${e && e.message}`);
    }
    const inProgress = new Set();
    let depth = 0;
    const walk = v => {
      switch (typeof v) {
        case 'undefined':
        case 'boolean':
        case 'number':
        case 'bigint':
        case 'string':
        case 'symbol':
          return v;
        case 'function':
          if (kindOf(v) === 'remotable') return ['remotable', v];
          throw TypeErrorCtor(`Cannot pass non-remotable function ${quote(v.name)}: make it Far or put it in a Far object`);
        default:
      }
      if (v === null) return null;
      const kind = kindOf(v);
      if (kind === 'remotable' || kind === 'promise') return [kind, v];
      if (!isFrozen(v)) throw TypeErrorCtor('Cannot pass non-frozen objects. Use harden()');
      if (inProgress.has(v)) throw TypeErrorCtor('Pass-by-copy data cannot be cyclic');
      if (depth >= maxDepth) throw TypeErrorCtor(`Pass-by-copy data cannot be nested deeper than ${maxDepth}`);
      inProgress.add(v);
      depth += 1;
      const node = copy(v, kind, walk);
      depth -= 1;
      inProgress.delete(v);
      return node;
    };
    return walk(root);
  }

  function copy(v, kind, walk) {
    switch (kind) {
      case 'array': {
        if (getPrototypeOf(v) !== arrayPrototype) throw TypeErrorCtor('Malformed array: it does not inherit from Array.prototype');
        const d = getOwnPropertyDescriptor(v, 'length');
        const n = d && d.value;
        const out = [];
        for (let i = 0; i < n; i += 1) {
          out.push(walk(dataValue(v, i, 'an array')));
        }
        if (ownKeys(v).length !== n + 1) throw TypeErrorCtor('Arrays must not have non-indexes');
        return ['array', out];
      }
      case 'error': {
        const nd = getOwnPropertyDescriptor(v, 'name');
        const md = getOwnPropertyDescriptor(v, 'message');
        if ((nd && !('value' in nd)) || (md && !('value' in md))) throw TypeErrorCtor('Errors must not have accessor properties');
        return ['error', String(nd ? nd.value : v.name), md ? String(md.value) : ''];
      }
      case 'tagged':
        return ['tagged', String(tagOf(v)), walk(dataValue(v, 'payload', 'a tagged'))];
      case 'function':
        throw TypeErrorCtor(`Cannot pass non-remotable function ${quote(v.name)}: make it Far or put it in a Far object`);
      default:
    }
    if (getPrototypeOf(v) !== objectPrototype) {
      throw TypeErrorCtor('Records must inherit from Object.prototype (class instances cannot be passed: make them Far, or copy their data)');
    }
    const thenDesc = getOwnPropertyDescriptor(v, 'then');
    if (thenDesc && typeof thenDesc.value === 'function') throw TypeErrorCtor('Cannot pass non-promise thenables');
    const keys = [];
    const values = [];
    for (const k of ownKeys(v)) {
      if (typeof k !== 'string') throw TypeErrorCtor(`Records can only have string-named properties, not ${String(k)}`);
      const pv = dataValue(v, k, 'a record');
      if (typeof pv === 'function' && kindOf(pv) !== 'remotable') {
        throw TypeErrorCtor(`Records cannot contain non-far functions: ${quote(k)} (use Far for objects with methods)`);
      }
      keys.push(k);
      values.push(walk(pv));
    }
    return ['record', keys, values];
  }

  // makeRecord builds a received record from own data properties only
  // (defined, never set: a "__proto__" key is a key, not the prototype).
  function makeRecord(keys, values) {
    const r = {};
    for (let i = 0; i < keys.length; i += 1) {
      defineProperty(r, keys[i], { value: values[i], writable: true, enumerable: true, configurable: true });
    }
    return r;
  }

  return { snapshot, makeRecord };
});
