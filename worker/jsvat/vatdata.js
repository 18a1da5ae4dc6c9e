// The virtual and durable data layer of a Cooper JS vat: @agoric/vat-data's
// big collections, kinds, exo classes and promise watchers, with their state
// in the vat's vatstore instead of its heap (SwingSet 0.33's liveslots
// collectionManager, virtualObjectManager and watchedPromises, rewritten for
// Cooper).
//
// This file is one function expression, spliced into prelude.js. The prelude
// calls it once per vat, lazily (on the first use of baggage or of the
// vat-data module), so a vat that keeps no durable state makes no vatstore
// syscalls for it.
//
//   makeVatData(env) where env = { bridge, harden, Far, passStyleOf,
//     isPromise, q, Fail, getPatterns }
//
// Vatstore layout (durable data survives upgrades, virtual data does not):
//   vd.nextKindID, vd.nextCollectionID, vd.nextInstance.K   id counters
//   vom.dkind.K          durable kind K: {"kindID","tag","facets"?,"defined"}
//   vom.o+dK/I           state of durable object I of kind K: {prop: capdata}
//   vv.vom.o+vK/I        state of virtual object I of kind K
//   vc.N.|schemata       durable collection N: capdata of {label, keyShape?, valueShape?}
//   vc.N.|kind           its store kind (scalarDurableMapStore...)
//   vc.N.|entryCount, vc.N.|nextOrdinal, vc.N.|<vref> (ordinal of a remotable key)
//   vc.N.<encoded key>   an entry (capdata of its value; rank order = key order)
//   vv.vc.N.…            the same for a virtual collection
//   watchedPromiseTableID, watcherTableID   vrefs of the promise watcher tables
//
// Vrefs follow SwingSet: kind handles are o+d1/K; collections are o+vS/N or
// o+dS/N with S the store kind (2–9 below); baggage is o+d6/1; objects are
// o+vK/I or o+dK/I, facet F of a kit o+dK/I:F. Representatives are made on
// demand and kept for the life of the worker, so the same object is the
// same representative (===) in every crank.
(function makeVatData(env) {
  'use strict';

  const { bridge, harden, Far, passStyleOf, isPromise, q, Fail, getPatterns } = env;
  const { parse, stringify: toJSON } = JSON;
  const { keys: objectKeys, defineProperty, create, entries: objectEntries } = Object;
  const P = getPatterns;

  // --- the vatstore and the marshaller --------------------------------------
  const vsGet = key => bridge.vatstore('get', key);
  const vsSet = (key, value) => bridge.vatstore('set', key, value);
  const vsDelete = key => bridge.vatstore('delete', key);
  // vsKeys iterates the keys that start with prefix, in order, after `after`.
  function* vsKeys(prefix, after = prefix) {
    let k = after;
    for (;;) {
      k = bridge.vatstore('next', k);
      if (k === undefined || !k.startsWith(prefix)) return;
      yield k;
    }
  }
  // assertFrozen refuses what Endo's marshal refuses before anything else:
  // an object (or function) that is not frozen.
  const assertFrozen = v => {
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null) return;
    Object.isFrozen(v) || Fail`Cannot pass non-frozen objects like ${v}. Use harden()`;
    if (isPromise(v)) return;
    const style = passStyleOf(v);
    if (style === 'copyArray') v.forEach(assertFrozen);
    else if (style === 'copyRecord') objectKeys(v).forEach(k => assertFrozen(v[k]));
    else if (style === 'tagged') assertFrozen(v.payload);
  };
  // serialize encodes a value for the vatstore; it must be hardened already.
  const serialize = v => {
    assertFrozen(v);
    const [body, slots] = bridge.serialize(v);
    return { body, slots };
  };
  const unserialize = cd => bridge.unserialize(cd.body, cd.slots);
  const counter = (key, first) => {
    const v = vsGet(key);
    const n = v === undefined ? first : Number(v);
    vsSet(key, String(n + 1));
    return n;
  };
  // isDurableVref: durable objects, imports and device nodes survive an
  // upgrade; the vat's ephemeral exports, virtual objects and promises do not.
  const isDurableVref = vref => /^(o\+d|o-|d-)/.test(vref);
  const vrefOf = remotable => serialize(remotable).slots[0];

  // --- kinds ------------------------------------------------------------------
  const KIND_HANDLE = 1;
  const storeKinds = {
    2: { name: 'scalarMapStore', iface: 'mapStore', durable: false, weak: false, set: false },
    3: { name: 'scalarWeakMapStore', iface: 'weakMapStore', durable: false, weak: true, set: false },
    4: { name: 'scalarSetStore', iface: 'setStore', durable: false, weak: false, set: true },
    5: { name: 'scalarWeakSetStore', iface: 'weakSetStore', durable: false, weak: true, set: true },
    6: { name: 'scalarDurableMapStore', iface: 'mapStore', durable: true, weak: false, set: false },
    7: { name: 'scalarDurableWeakMapStore', iface: 'weakMapStore', durable: true, weak: true, set: false },
    8: { name: 'scalarDurableSetStore', iface: 'setStore', durable: true, weak: false, set: true },
    9: { name: 'scalarDurableWeakSetStore', iface: 'weakSetStore', durable: true, weak: true, set: true },
  };
  const storeKindID = (durable, weak, set) => 2 + (set ? 2 : 0) + (weak ? 1 : 0) + (durable ? 4 : 0);
  const FIRST_KIND_ID = 10;
  const MAX_DBKEY_LENGTH = 220; // of an encoded collection key, as SwingSet
  const BAGGAGE_ID = 1;

  const kinds = new Map(); // kind ID → what its defineKind call said
  const reps = new Map(); // base vref → representative (or facets record)
  const contexts = new WeakMap(); // representative or facet → {state, self|facets}
  const handleKinds = new WeakMap(); // kind handle → kind ID
  const vvPrefix = durable => (durable ? '' : 'vv.');
  const stateKey = (durable, baseRef) => `${vvPrefix(durable)}vom.${baseRef}`;

  function register(rep, vref) {
    bridge.registerVirtual(rep, vref);
  }

  function kindHandleFor(kindID, tag) {
    const vref = `o+d${KIND_HANDLE}/${kindID}`;
    let h = reps.get(vref);
    if (h === undefined) {
      h = Far('kind', {});
      handleKinds.set(h, kindID);
      reps.set(vref, h);
      register(h, vref);
    }
    return h;
  }
  const readDescriptor = kindID => {
    const d = vsGet(`vom.dkind.${kindID}`);
    return d === undefined ? undefined : parse(d);
  };

  function makeKindHandle(tag) {
    typeof tag === 'string' || Fail`kind tag must be a string, not ${q(tag)}`;
    const kindID = counter('vd.nextKindID', FIRST_KIND_ID);
    vsSet(`vom.dkind.${kindID}`, toJSON({ kindID, tag }));
    return kindHandleFor(kindID, tag);
  }

  // defineKindInternal records the behavior of a kind and returns its maker.
  function defineKindInternal(kindID, tag, init, behavior, options, durable, multi, thisful) {
    const { finish, stateShape, interfaceGuard, interfaceGuardKit } = options || {};
    if (init !== undefined && init !== null) {
      typeof init === 'function' || Fail`init must be a function, not ${q(init)}`;
    }
    (typeof behavior === 'object' && behavior !== null) || Fail`behavior must be an object, not ${q(behavior)}`;
    let facetNames;
    if (multi) {
      facetNames = objectKeys(behavior).sort();
      facetNames.length > 0 || Fail`a multi-facet kind must have at least one facet`;
    }
    if (durable) {
      kinds.has(kindID) && Fail`redefinition of durable kind ${q(tag)}`;
      const desc = readDescriptor(kindID);
      if (desc.defined) {
        // As SwingSet: the old facets keep their places (their vrefs name
        // them by index); new ones, sorted, come after; none may go.
        if (multi && desc.facets === undefined) Fail`defineDurableKindMulti called for unfaceted KindHandle ${tag}`;
        if (!multi && desc.facets !== undefined) Fail`defineDurableKind called for faceted KindHandle ${tag}`;
      }
      if (multi) {
        const old = desc.facets || [];
        for (const facet of old) {
          facetNames.includes(facet) ||
            Fail`durable kind "${tag}" facets (${facetNames.join(',')}) is missing ${facet} from original definition (${old.join(',')})`;
        }
        facetNames = [...old, ...facetNames.filter(f => !old.includes(f))];
      }
      if (!desc.defined || (multi && toJSON(desc.facets) !== toJSON(facetNames))) {
        const updated = { kindID, tag, defined: true };
        if (multi) updated.facets = facetNames;
        vsSet(`vom.dkind.${kindID}`, toJSON(updated));
      }
    }
    if (stateShape !== undefined) P().assertPattern(stateShape);
    const contextOf = rep => contexts.get(rep);
    let proto;
    if (multi) {
      const providers = {};
      for (const name of facetNames) providers[name] = contextOf;
      proto = P().defendPrototypeKit(tag, harden(providers), behavior, thisful, interfaceGuardKit);
    } else {
      proto = P().defendPrototype(tag, contextOf, behavior, thisful, interfaceGuard);
    }
    const info = harden({ kindID, tag, durable, multi, facetNames, init, finish, stateShape, proto });
    kinds.set(kindID, info);
    const maker = (...args) => makeObject(info, args);
    return harden(maker);
  }

  function encodeState(info, prop, value) {
    if (info.stateShape !== undefined && info.stateShape[prop] !== undefined) {
      P().mustMatch(value, info.stateShape[prop], prop);
    }
    const cd = serialize(value);
    if (info.durable) {
      cd.slots.forEach((vref, i) => {
        isDurableVref(vref) || Fail`value for ${q(prop)} is not durable: slot ${q(i)} of ${cd.body}`;
      });
    }
    return cd;
  }

  function makeObject(info, args) {
    const initial = info.init ? info.init(...args) : {};
    (typeof initial === 'object' && initial !== null) || Fail`initial data must be object, not ${initial}`;
    for (const prop of objectKeys(initial)) assertFrozen(initial[prop]);
    passStyleOf(harden(initial)) === 'copyRecord' || Fail`state of ${q(info.tag)} must be a record, not ${q(initial)}`;
    if (info.stateShape !== undefined) P().mustMatch(initial, info.stateShape, 'initial state');
    const id = counter(`vd.nextInstance.${info.kindID}`, 1);
    const baseRef = `o+${info.durable ? 'd' : 'v'}${info.kindID}/${id}`;
    const raw = {};
    for (const prop of objectKeys(initial)) {
      raw[prop] = encodeState(info, prop, initial[prop]);
    }
    vsSet(stateKey(info.durable, baseRef), toJSON(raw));
    const made = materialize(info, baseRef, objectKeys(raw));
    if (info.finish) {
      const first = info.multi ? made[info.facetNames[0]] : made;
      info.finish(contexts.get(first));
    }
    return made;
  }

  // materialize returns the representative of an instance (a facets record
  // for a kit), making it if this worker has none yet.
  function materialize(info, baseRef, props) {
    const cached = reps.get(baseRef);
    if (cached !== undefined) return cached;
    const key = stateKey(info.durable, baseRef);
    const read = () => {
      const s = vsGet(key);
      s !== undefined || Fail`${q(info.tag)} object ${q(baseRef)} has no state`;
      return parse(s);
    };
    const state = create(null);
    for (const prop of props) {
      defineProperty(state, prop, {
        enumerable: true,
        get: () => unserialize(read()[prop]),
        set: value => {
          const raw = read();
          raw[prop] = encodeState(info, prop, value);
          vsSet(key, toJSON(raw));
        },
      });
    }
    harden(state);
    let made;
    if (info.multi) {
      const facets = {};
      info.facetNames.forEach((name, i) => {
        const f = P().makeInstance(info.proto[name]);
        facets[name] = f;
        register(f, `${baseRef}:${i}`);
      });
      harden(facets);
      const context = harden({ state, facets });
      for (const name of info.facetNames) contexts.set(facets[name], context);
      made = facets;
    } else {
      const rep = P().makeInstance(info.proto);
      contexts.set(rep, harden({ state, self: rep }));
      register(rep, baseRef);
      made = rep;
    }
    reps.set(baseRef, made);
    return made;
  }

  // reanimate returns the representative of a vref the heap does not hold.
  function reanimate(vref) {
    const m = /^o\+([vd])(\d+)\/(\d+)(?::(\d+))?$/.exec(vref);
    m || Fail`not a virtual object's vref: ${q(vref)}`;
    const durable = m[1] === 'd';
    const kindID = Number(m[2]);
    const id = Number(m[3]);
    const baseRef = `o+${m[1]}${m[2]}/${m[3]}`;
    if (kindID === KIND_HANDLE) {
      const desc = readDescriptor(id);
      desc !== undefined || Fail`no kind handle ${q(vref)}`;
      return kindHandleFor(id, desc.tag);
    }
    if (storeKinds[kindID] !== undefined) {
      storeKinds[kindID].durable === durable || Fail`collection ${q(vref)} of the wrong durability`;
      return collection(kindID, id);
    }
    const info = kinds.get(kindID);
    if (info === undefined) {
      const desc = durable ? readDescriptor(kindID) : undefined;
      if (desc !== undefined) Fail`durable kind ${q(desc.tag)} (${q(vref)}) has not been defined in this incarnation`;
      Fail`unknown kind ID ${q(kindID)} (${q(vref)})`;
    }
    const s = vsGet(stateKey(durable, baseRef));
    s !== undefined || Fail`${q(info.tag)} object ${q(vref)} has no state`;
    const made = materialize(info, baseRef, objectKeys(parse(s)));
    if (m[4] === undefined) return made;
    const name = info.multi ? info.facetNames[Number(m[4])] : undefined;
    name !== undefined || Fail`no facet ${q(m[4])} of ${q(info.tag)} (${q(vref)})`;
    return made[name];
  }

  // --- collections ---------------------------------------------------------------
  const schemaCache = new Map(); // collection vref → {label, keyShape, valueShape}
  let scalarPattern; // M.scalar(), the default key shape, made once
  const scalarShape = () => {
    if (scalarPattern === undefined) scalarPattern = P().M.scalar();
    return scalarPattern;
  };
  const generations = new Map(); // collection vref → count of additions in this worker

  function makeCollection(label, kindID, options = {}) {
    typeof label === 'string' || Fail`collection label must be a string, not ${q(label)}`;
    const { keyShape, valueShape } = options;
    const kind = storeKinds[kindID];
    const id = counter('vd.nextCollectionID', 2);
    const prefix = `${vvPrefix(kind.durable)}vc.${id}.`;
    const schema = { label };
    if (keyShape !== undefined) schema.keyShape = keyShape;
    if (valueShape !== undefined) schema.valueShape = valueShape;
    const cd = serialize(harden(schema));
    if (kind.durable) {
      cd.slots.forEach((vref, i) => {
        isDurableVref(vref) || Fail`schemata of a durable collection are not durable: slot ${q(i)} of ${cd.body}`;
      });
    }
    vsSet(`${prefix}|schemata`, toJSON(cd));
    vsSet(`${prefix}|kind`, kind.name);
    if (!kind.weak) vsSet(`${prefix}|entryCount`, '0');
    vsSet(`${prefix}|nextOrdinal`, '1');
    return collection(kindID, id);
  }

  function collection(kindID, id) {
    const kind = storeKinds[kindID];
    const vref = `o+${kind.durable ? 'd' : 'v'}${kindID}/${id}`;
    const cached = reps.get(vref);
    if (cached !== undefined) return cached;
    const prefix = `${vvPrefix(kind.durable)}vc.${id}.`;
    const meta = `${prefix}|`;
    const getSchema = () => {
      let s = schemaCache.get(vref);
      if (s === undefined) {
        const raw = vsGet(`${prefix}|schemata`);
        if (raw === undefined) {
          (kindID === 6 && id === BAGGAGE_ID) || Fail`collection ${q(vref)} has no schemata`;
          s = harden({ label: 'baggage' });
        } else {
          s = unserialize(parse(raw));
        }
        schemaCache.set(vref, s);
      }
      return s;
    };
    const label = () => getSchema().label;
    const keyShape = () => getSchema().keyShape || scalarShape();
    const invalidKey = () => `invalid key type for collection ${q(label())}`;
    const invalidValue = () => `invalid value type for collection ${q(label())}`;
    const notFound = key => Fail`key ${key} not found in collection ${q(label())}`;

    // Keys: rank-ordered strings; a remotable key is "r" + its ordinal in
    // this collection (insertion order, as SwingSet) + ":" + its vref.
    const ordinalOf = remotable => vsGet(`${meta}${vrefOf(remotable)}`);
    let encodeKey;
    let decodeKey;
    const encoders = () => {
      if (encodeKey === undefined) {
        encodeKey = P().makeEncodePassable({
          encodeRemotable: r => {
            const ordinal = ordinalOf(r);
            ordinal !== undefined || Fail`no ordinal for ${r}`;
            return `r${P().zeroPad(ordinal, 10)}:${vrefOf(r)}`;
          },
        });
        decodeKey = P().makeDecodePassable({
          decodeRemotable: s => unserialize({ body: '#"$0"', slots: [s.slice(12)] }),
        });
      }
    };
    const dbKey = key => {
      encoders();
      const encoded = encodeKey(key);
      // As SwingSet: a catchable error, well below the kernel's key limit.
      if (encoded.length >= MAX_DBKEY_LENGTH) throw Error('key too large');
      return prefix + encoded;
    };
    const isRemotableKey = key => passStyleOf(key) === 'remotable';
    const entryCount = () => Number(vsGet(`${meta}entryCount`) || '0');
    const addCount = delta => {
      if (!kind.weak) vsSet(`${meta}entryCount`, String(entryCount() + delta));
    };

    const has = key => {
      if (!P().matches(key, keyShape())) return false;
      if (isRemotableKey(key)) return ordinalOf(key) !== undefined;
      return vsGet(dbKey(key)) !== undefined;
    };
    const mustGet = key => {
      P().mustMatch(key, keyShape(), invalidKey());
      if (isRemotableKey(key) && ordinalOf(key) === undefined) notFound(key);
      const k = dbKey(key);
      const raw = vsGet(k);
      raw !== undefined || notFound(key);
      return { k, raw };
    };
    const encodeValue = value => {
      const { valueShape } = getSchema();
      if (valueShape !== undefined) P().mustMatch(value, valueShape, invalidValue());
      const cd = serialize(value);
      if (kind.durable) {
        cd.slots.forEach((slot, i) => {
          isDurableVref(slot) || Fail`value is not durable: ${value} at slot ${q(i)} of ${cd.body}`;
        });
      }
      return toJSON(cd);
    };
    const decodeValue = raw => unserialize(parse(raw));
    const init = (key, value) => {
      try {
        assertFrozen(key);
      } catch (e) {
        throw Error(`${invalidKey()}: ${e.message}`);
      }
      P().mustMatch(key, keyShape(), invalidKey());
      !has(key) || Fail`key ${key} already registered in collection ${q(label())}`;
      const encoded = encodeValue(value);
      if (isRemotableKey(key)) {
        const kv = vrefOf(key);
        if (kind.durable) isDurableVref(kv) || Fail`key (${key}) is not durable in ${value}`;
        const n = Number(vsGet(`${meta}nextOrdinal`) || '1');
        vsSet(`${meta}${kv}`, String(n));
        vsSet(`${meta}nextOrdinal`, String(n + 1));
      }
      vsSet(dbKey(key), encoded);
      generations.set(vref, (generations.get(vref) || 0) + 1);
      addCount(1);
    };
    const del = key => {
      const { k } = mustGet(key);
      vsDelete(k);
      if (isRemotableKey(key)) vsDelete(`${meta}${vrefOf(key)}`);
      addCount(-1);
    };
    // entries iterates [key, raw value] in key order, matching the patterns.
    // A key pattern narrows the scan to its rank cover [lo, hi].
    const coverOf = keyPatt => {
      if (keyPatt === undefined) return ['', undefined];
      try {
        return P().getRankCover(keyPatt, encodeKey);
      } catch (e) {
        return ['', undefined]; // e.g. a remotable this store never held
      }
    };
    function* iterate(keyPatt, valuePatt) {
      encoders();
      const gen = generations.get(vref) || 0;
      const [lo, hi] = coverOf(keyPatt);
      for (const k of vsKeys(prefix, prefix + lo.slice(0, -1))) {
        if (k.startsWith(meta)) continue;
        const encoded = k.slice(prefix.length);
        if (encoded < lo) continue;
        if (hi !== undefined && encoded > hi) return;
        (generations.get(vref) || 0) === gen || Fail`keys in store cannot be added to during iteration`;
        const key = decodeKey(encoded);
        if (keyPatt !== undefined && !P().matches(key, keyPatt)) continue;
        const raw = vsGet(k);
        if (raw === undefined) continue; // deleted during the iteration
        if (valuePatt !== undefined && !P().matches(decodeValue(raw), valuePatt)) continue;
        yield [key, raw];
      }
    }
    const iterable = gen => harden({ [Symbol.iterator]: gen });
    const keys = (keyPatt, valuePatt) => iterable(function* keysOf() {
      for (const [k] of iterate(keyPatt, valuePatt)) yield k;
    });
    const values = (keyPatt, valuePatt) => iterable(function* valuesOf() {
      for (const [, raw] of iterate(keyPatt, valuePatt)) yield decodeValue(raw);
    });
    const entries = (keyPatt, valuePatt) => iterable(function* entriesOf() {
      for (const [k, raw] of iterate(keyPatt, valuePatt)) yield harden([k, decodeValue(raw)]);
    });
    const getSize = (keyPatt, valuePatt) => {
      if (keyPatt === undefined && valuePatt === undefined) return entryCount();
      let n = 0;
      for (const _ of iterate(keyPatt, valuePatt)) n += 1;
      return n;
    };
    const clear = (keyPatt, valuePatt) => {
      const doomed = [];
      for (const [k] of iterate(keyPatt, valuePatt)) doomed.push(k);
      for (const k of doomed) del(k);
    };

    let methods;
    if (kind.set) {
      const add = key => {
        if (!has(key)) init(key, null);
      };
      const addAll = elems => {
        const list = P().isCopySet(elems) ? P().getCopySetKeys(elems) : elems;
        for (const k of list) add(k);
      };
      methods = kind.weak
        ? { has, add, delete: del, addAll }
        : {
            has, add, delete: del, addAll, keys, getSize, clear,
            values: keys,
            snapshot: (keyPatt, valuePatt) => P().makeCopySet([...keys(keyPatt, valuePatt)]),
          };
    } else {
      const get = key => decodeValue(mustGet(key).raw);
      const set = (key, value) => {
        const { k } = mustGet(key);
        vsSet(k, encodeValue(value));
      };
      const addAll = pairs => {
        const list = P().isCopyMap(pairs) ? P().getCopyMapEntries(pairs) : pairs;
        for (const [k, v] of list) {
          if (has(k)) set(k, v);
          else init(k, v);
        }
      };
      methods = kind.weak
        ? { has, get, init, set, delete: del, addAll }
        : {
            has, get, init, set, delete: del, addAll, keys, values, entries, getSize, clear,
            snapshot: (keyPatt, valuePatt) => P().makeCopyMap([...entries(keyPatt, valuePatt)]),
          };
    }
    const rep = Far(kind.iface, methods);
    reps.set(vref, rep);
    register(rep, vref);
    return rep;
  }

  const bigStore = (weak, set) => (label = set ? 'set' : 'map', options = {}) =>
    makeCollection(label, storeKindID(!!(options && options.durable), weak, set), options);
  const makeScalarBigMapStore = bigStore(false, false);
  const makeScalarBigWeakMapStore = bigStore(true, false);
  const makeScalarBigSetStore = bigStore(false, true);
  const makeScalarBigWeakSetStore = bigStore(true, true);

  // --- kinds and exos, as @agoric/vat-data exports them ----------------------------
  const kindIDOf = kindHandle => {
    const id = handleKinds.get(kindHandle);
    id !== undefined || Fail`${kindHandle} is not a kind handle`;
    return id;
  };
  const tagOfHandle = kindHandle => readDescriptor(kindIDOf(kindHandle)).tag;
  const virtualKindID = () => counter('vd.nextKindID', FIRST_KIND_ID);

  const defineKind = (tag, init, behavior, options) =>
    defineKindInternal(virtualKindID(), tag, init, behavior, options, false, false, false);
  const defineKindMulti = (tag, init, behavior, options) =>
    defineKindInternal(virtualKindID(), tag, init, behavior, options, false, true, false);
  const defineDurableKind = (kindHandle, init, behavior, options) =>
    defineKindInternal(kindIDOf(kindHandle), tagOfHandle(kindHandle), init, behavior, options, true, false, false);
  const defineDurableKindMulti = (kindHandle, init, behavior, options) =>
    defineKindInternal(kindIDOf(kindHandle), tagOfHandle(kindHandle), init, behavior, options, true, true, false);

  const provide = (baggage, key, makeValue) => {
    if (baggage.has(key)) return baggage.get(key);
    const value = makeValue(key);
    baggage.init(key, value);
    return value;
  };
  const provideKindHandle = (baggage, tag) => provide(baggage, `${tag}_kindHandle`, () => makeKindHandle(tag));
  const prepareKind = (baggage, tag, init, behavior, options) =>
    defineDurableKind(provideKindHandle(baggage, tag), init, behavior, options);
  const prepareKindMulti = (baggage, tag, init, behavior, options) =>
    defineDurableKindMulti(provideKindHandle(baggage, tag), init, behavior, options);

  const defineVirtualExoClass = (tag, interfaceGuard, init, methods, options = {}) =>
    defineKindInternal(virtualKindID(), tag, init, methods, { ...options, interfaceGuard }, false, false, true);
  const defineVirtualExoClassKit = (tag, interfaceGuardKit, init, methodsKit, options = {}) =>
    defineKindInternal(virtualKindID(), tag, init, methodsKit, { ...options, interfaceGuardKit }, false, true, true);
  const defineDurableExoClass = (kindHandle, interfaceGuard, init, methods, options = {}) =>
    defineKindInternal(kindIDOf(kindHandle), tagOfHandle(kindHandle), init, methods, { ...options, interfaceGuard }, true, false, true);
  const defineDurableExoClassKit = (kindHandle, interfaceGuardKit, init, methodsKit, options = {}) =>
    defineKindInternal(kindIDOf(kindHandle), tagOfHandle(kindHandle), init, methodsKit, { ...options, interfaceGuardKit }, true, true, true);
  const prepareExoClass = (baggage, tag, interfaceGuard, init, methods, options) =>
    defineDurableExoClass(provideKindHandle(baggage, tag), interfaceGuard, init, methods, options);
  const prepareExoClassKit = (baggage, tag, interfaceGuardKit, init, methodsKit, options) =>
    defineDurableExoClassKit(provideKindHandle(baggage, tag), interfaceGuardKit, init, methodsKit, options);
  const prepareExo = (baggage, tag, interfaceGuard, methods, options) => {
    const make = prepareExoClass(baggage, tag, interfaceGuard, P().initEmpty, methods, options);
    return provide(baggage, `${tag}_singleton`, () => make());
  };
  const prepareSingleton = (baggage, tag, methods, options) => prepareExo(baggage, tag, undefined, methods, options);
  const ignoreContext = method => (_context, ...args) => method(...args);

  const canBeDurable = v => serialize(harden(v)).slots.every(isDurableVref);
  const pickFacet = (maker, facetName) => (...args) => maker(...args)[facetName];
  const partialAssign = (target, source) => {
    for (const [k, v] of objectEntries(source)) target[k] = v;
  };
  const provideStore = make => (baggage, name, options = {}) =>
    provide(baggage, name, () => make(name, { ...options, durable: true }));

  // --- promise watchers -------------------------------------------------------------
  // A promise watched by a durable watcher is recorded in a durable table
  // (vpid → [[watcher, ...args], ...]) and made known to the kernel, which
  // the vat subscribes to; after an upgrade the new incarnation follows it
  // again (one the vat decided was rejected by the upgrade, and it hears
  // so). Watches by virtual watchers live in the heap.
  let watchedTable;
  let watcherTable;
  const table = (idKey, label, options) => {
    const vref = vsGet(idKey);
    if (vref !== undefined) return unserialize({ body: '#"$0"', slots: [vref] });
    const t = makeScalarBigMapStore(label, { ...options, durable: true });
    vsSet(idKey, vrefOf(t));
    return t;
  };
  const watched = () => {
    if (watchedTable === undefined) watchedTable = table('watchedPromiseTableID', 'watchedPromises', { keyShape: P().M.string() });
    return watchedTable;
  };
  const settleWatches = (watches, fulfilled, value) => {
    for (const [watcher, ...args] of watches) {
      void Promise.resolve().then(() => {
        if (fulfilled) {
          if (watcher.onFulfilled) watcher.onFulfilled(value, ...args);
        } else if (watcher.onRejected) {
          watcher.onRejected(value, ...args);
        } else {
          throw value;
        }
      });
    }
  };
  const followDurably = (p, vpid) => {
    const done = fulfilled => value => {
      const t = watched();
      if (!t.has(vpid)) return;
      const watches = t.get(vpid);
      t.delete(vpid);
      settleWatches(watches, fulfilled, value);
    };
    Promise.resolve(p).then(done(true), done(false));
  };
  function watchPromise(p, watcher, ...args) {
    isPromise(p) || Fail`watchPromise only watches promises`;
    (watcher !== null && (typeof watcher === 'object' || typeof watcher === 'function')) || Fail`invalid watcher`;
    (watcher.onFulfilled || watcher.onRejected) || Fail`promise watcher must implement at least one handler method`;
    // Later in the turn, as SwingSet does: the vpid of a send's result
    // promise is allocated by then.
    void Promise.resolve().then(() => {
      const watcherRef = vrefOf(watcher);
      /^o\+[vd]/.test(watcherRef) || Fail`promise watcher must be a virtual object`;
      const durable = isDurableVref(watcherRef) && canBeDurable(harden(args));
      if (!durable) {
        Promise.resolve(p).then(v => settleWatches([[watcher, ...args]], true, v), e => settleWatches([[watcher, ...args]], false, e));
        return;
      }
      // The kernel learns of a promise the vat decides, and the vat
      // subscribes: the next incarnation hears an upgrade's rejection.
      const vpid = bridge.watchablePromise(p);
      const t = watched();
      if (t.has(vpid)) {
        t.set(vpid, harden([...t.get(vpid), [watcher, ...args]]));
      } else {
        t.init(vpid, harden([[watcher, ...args]]));
        followDurably(p, vpid);
      }
    });
  }
  function providePromiseWatcher(kindHandle, onFulfilled = () => {}, onRejected = reason => { throw reason; }) {
    typeof onFulfilled === 'function' || Fail`onFulfilled must be a function`;
    typeof onRejected === 'function' || Fail`onRejected must be a function`;
    const make = defineDurableKind(kindHandle, P().initEmpty, {
      onFulfilled: (_context, res, ...args) => onFulfilled(res, ...args),
      onRejected: (_context, rej, ...args) => onRejected(rej, ...args),
    });
    if (watcherTable === undefined) watcherTable = table('watcherTableID', 'promiseWatcherByKind', {});
    if (watcherTable.has(kindHandle)) return watcherTable.get(kindHandle);
    const w = make();
    watcherTable.init(kindHandle, w);
    return w;
  }

  // --- upgrades ---------------------------------------------------------------------
  function upgradeHook(event) {
    if (event === 'upgrade') {
      // The old incarnation's virtual data dies with its heap.
      const doomed = [...vsKeys('vv.')];
      for (const k of doomed) vsDelete(k);
      return;
    }
    if (event === 'upgraded') {
      const missing = [];
      for (const k of vsKeys('vom.dkind.')) {
        const desc = parse(vsGet(k));
        if (desc.defined && !kinds.has(desc.kindID)) missing.push(desc.tag);
      }
      if (missing.length > 0) throw Error(`defineDurableKind not called for tags: [${missing.join(',')}]`);
      if (vsGet('watchedPromiseTableID') !== undefined) {
        for (const vpid of watched().keys()) {
          followDurably(unserialize({ body: '#"&0"', slots: [vpid] }), vpid);
        }
      }
      return;
    }
    Fail`unknown vat-data event ${q(event)}`;
  }

  // --- zones (@agoric/zone, @agoric/base-zone) --------------------------------------
  // A zone makes exos and stores under labels, each label once per
  // incarnation; the durable zone keeps them in a baggage.
  const zoneKeys = {
    exoClass: label => [`${label}_kindHandle`],
    exoClassKit: label => [`${label}_kindHandle`],
    exo: label => [`${label}_kindHandle`, `${label}_singleton`],
    store: label => [label],
    zone: label => [label],
  };
  const makeOnceKit = (debugName, stores, backingStore = undefined) => {
    const usedKeys = stores.detached().setStore(`${debugName} used keys`);
    const assertOnlyOnce = key => {
      typeof key === 'string' || Fail`key ${key} must be a string`;
      !usedKeys.has(key) || Fail`key ${key} has already been used in this zone and incarnation`;
      usedKeys.add(key);
    };
    const wrapProvider = (provider, labelToKeys = label => [label]) => (label, ...rest) => {
      for (const key of labelToKeys(label)) assertOnlyOnce(key);
      return provider(label, ...rest);
    };
    const makeOnce = (key, maker) => {
      assertOnlyOnce(key);
      if (backingStore && backingStore.has(key)) return backingStore.get(key);
      const value = maker(key);
      stores.isStorable(value) || Fail`maker return value ${value} is not storable`;
      if (backingStore) backingStore.init(key, value);
      return value;
    };
    return harden({ makeOnce, wrapProvider });
  };
  const isPassable = v => {
    try {
      passStyleOf(v);
      return true;
    } catch (e) {
      return false;
    }
  };
  // heapWatchPromise is base-zone's watchPromise: reactions in the heap only.
  const heapWatchPromise = (p, watcher, ...args) => {
    isPromise(p) || Fail`watchPromise only watches promises`;
    const maybe = prop => {
      const fn = watcher[prop];
      if (!fn) return undefined;
      typeof fn === 'function' || Fail`${q(prop)} must be a function`;
      return arg => {
        Reflect.apply(fn, watcher, [arg, ...args]);
      };
    };
    const onFulfilled = maybe('onFulfilled');
    const onRejected = maybe('onRejected');
    (onFulfilled || onRejected) || Fail`promise watcher must implement at least one handler method`;
    void Promise.resolve(p).then(onFulfilled, onRejected);
  };
  const makeZone = (iface, stores, kinds, makeSubZone, once, watch) => {
    const { makeOnce, wrapProvider } = once;
    return Far(iface, {
      exo: wrapProvider(kinds.exo, zoneKeys.exo),
      exoClass: wrapProvider(kinds.exoClass, zoneKeys.exoClass),
      exoClassKit: wrapProvider(kinds.exoClassKit, zoneKeys.exoClassKit),
      subZone: makeSubZone,
      makeOnce,
      watchPromise: watch,
      detached: stores.detached,
      isStorable: stores.isStorable,
      mapStore: wrapProvider(stores.mapStore, zoneKeys.store),
      setStore: wrapProvider(stores.setStore, zoneKeys.store),
      weakMapStore: wrapProvider(stores.weakMapStore, zoneKeys.store),
      weakSetStore: wrapProvider(stores.weakSetStore, zoneKeys.store),
    });
  };
  let detachedHeap;
  const heapStores = () => {
    if (detachedHeap === undefined) {
      detachedHeap = Far('heapStores', {
        detached: () => detachedHeap,
        isStorable: isPassable,
        setStore: (...a) => P().makeScalarSetStore(...a),
        mapStore: (...a) => P().makeScalarMapStore(...a),
        weakMapStore: (...a) => P().makeScalarWeakMapStore(...a),
        weakSetStore: (...a) => P().makeScalarWeakSetStore(...a),
      });
    }
    return detachedHeap;
  };
  const makeHeapZone = (baseLabel = 'heapZone') => {
    const once = makeOnceKit(baseLabel, heapStores());
    return makeZone('heapZone', heapStores(), {
      exo: (...a) => P().makeExo(...a),
      exoClass: (...a) => P().defineExoClass(...a),
      exoClassKit: (...a) => P().defineExoClassKit(...a),
    }, once.wrapProvider(label => makeHeapZone(`${baseLabel}.${label}`)), once, heapWatchPromise);
  };
  let detachedVirtual;
  const virtualStores = () => {
    if (detachedVirtual === undefined) {
      detachedVirtual = Far('virtualStores', {
        detached: () => detachedVirtual,
        isStorable: isPassable,
        mapStore: makeScalarBigMapStore,
        setStore: makeScalarBigSetStore,
        weakMapStore: makeScalarBigWeakMapStore,
        weakSetStore: makeScalarBigWeakSetStore,
      });
    }
    return detachedVirtual;
  };
  const makeVirtualZone = (baseLabel = 'virtualZone') => {
    const once = makeOnceKit(baseLabel, virtualStores());
    return makeZone('virtualZone', virtualStores(), {
      exo: (label, guard, methods, options) => defineVirtualExoClass(label, guard, P().initEmpty, methods, options)(),
      exoClass: defineVirtualExoClass,
      exoClassKit: defineVirtualExoClassKit,
    }, once.wrapProvider(label => makeVirtualZone(`${baseLabel}.${label}`)), once, heapWatchPromise);
  };
  const isStorableDurably = v => isPassable(v) && canBeDurable(v);
  const durableStores = getBaggage => {
    const stores = Far('durableStores', {
      detached: () => durableStores(() => P().makeScalarMapStore('detached')),
      isStorable: isStorableDurably,
      mapStore: (label, options) => module.provideDurableMapStore(getBaggage(), label, options),
      setStore: (label, options) => module.provideDurableSetStore(getBaggage(), label, options),
      weakMapStore: (label, options) => module.provideDurableWeakMapStore(getBaggage(), label, options),
      weakSetStore: (label, options) => module.provideDurableWeakSetStore(getBaggage(), label, options),
    });
    return stores;
  };
  const makeDurableZone = (bag, baseLabel = 'durableZone') => {
    bag || Fail`baggage required`;
    const stores = durableStores(() => bag);
    const once = makeOnceKit(baseLabel, stores, bag);
    const subZoneStore = once.wrapProvider(stores.mapStore, zoneKeys.zone);
    const subZone = (label, options = {}) => makeDurableZone(subZoneStore(label, options), `${baseLabel}.${label}`);
    return makeZone('durableZone', stores, {
      exo: (...a) => prepareExo(bag, ...a),
      exoClass: (...a) => prepareExoClass(bag, ...a),
      exoClassKit: (...a) => prepareExoClassKit(bag, ...a),
    }, subZone, once, watchPromise);
  };
  const zones = { makeHeapZone, makeVirtualZone, makeDurableZone };

  const baggage = () => collection(6, BAGGAGE_ID);

  const module = {
    makeKindHandle,
    providePromiseWatcher,
    watchPromise,
    makeScalarBigMapStore,
    makeScalarBigWeakMapStore,
    makeScalarBigSetStore,
    makeScalarBigWeakSetStore,
    canBeDurable,
    pickFacet,
    partialAssign,
    provide,
    provideDurableMapStore: provideStore(makeScalarBigMapStore),
    provideDurableWeakMapStore: provideStore(makeScalarBigWeakMapStore),
    provideDurableSetStore: provideStore(makeScalarBigSetStore),
    provideDurableWeakSetStore: provideStore(makeScalarBigWeakSetStore),
    defineKind,
    defineKindMulti,
    defineDurableKind,
    defineDurableKindMulti,
    defineVirtualExoClass,
    defineVirtualExoClassKit,
    defineDurableExoClass,
    defineDurableExoClassKit,
    prepareExoClass,
    prepareExoClassKit,
    prepareExo,
    prepareSingleton,
    ignoreContext,
    provideKindHandle,
    prepareKind,
    prepareKindMulti,
  };
  return { module, zones, baggage, reanimate, upgradeHook };
});
