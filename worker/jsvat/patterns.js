// The heap-only data model of SwingSet 0.33 for Cooper JS vats: rank order,
// keys, order-preserving key encoding, patterns (M), heap stores and exos, as
// @endo/marshal, @endo/patterns, @agoric/store and @endo/exo define them.
// Written for Cooper from the behaviour of those packages; error texts are
// theirs, as SES renders them (unquoted substitutions redacted to
// "(a string)", "(an object)"...).
//
// This file is one function expression, spliced into prelude.js and called
// at most once per vat, on the first import of @endo/patterns, @agoric/store
// or @endo/exo (so vats that never import them pay nothing but the parse).
//
//   makePatterns(env) where env = { harden, Far, Remotable, passStyleOf,
//     makeTagged, getInterfaceOf, isPromise, seal }  (the prelude's own;
//     seal(v) freezes v shallowly and counts it as hardened)
//
// It returns one hardened record. The contract other Cooper code (the
// virtual/durable layer, @agoric/vat-data) builds on:
//
// Rank order and encoding (@endo/marshal):
//   compareRank(a, b) -> -1|0|1       remotables tie (and short-circuit)
//   compareAntiRank(a, b)
//   compareRankRemotablesTied, makeFullOrderComparatorKit(longLived?)
//   sortByRank(iterable, compare?) -> hardened array
//   isRankSorted(array, compare), getPassStyleCover(passStyle) -> [lo, hi)
//   unionRankCovers(covers), intersectRankCovers(covers)
//   recordNames(rec), recordValues(rec, names), zeroPad(n, size)
//   makeEncodePassable({encodeRemotable, encodePromise, encodeError, format})
//     -> (passable) => string. format 'legacyOrdered' (the default, and what
//     liveslots 0.33's collectionManager uses for vatstore keys) or
//     'compactOrdered' ("~"-prefixed). encodeRemotable(r, encodeRecur) must
//     return a string starting with "r". For keys without remotables,
//     string order of encodings == rank order.
//   makeDecodePassable({decodeRemotable, decodePromise, decodeError})
//     -> (string) => passable (reads both formats)
//   makePassableKit(options) -> {encodePassable, decodePassable}
//   isEncodedRemotable(s), passStylePrefixes
// Keys (@endo/patterns): isKey, assertKey, isScalarKey, assertScalarKey,
//   compareKeys, keyLT, keyLTE, keyEQ, keyGTE, keyGT, makeCopySet,
//   makeCopyBag, makeCopyBagFromElements, makeCopyMap, getCopySetKeys,
//   getCopyBagEntries, getCopyMapKeys, getCopyMapValues, getCopyMapEntries,
//   getCopyMapEntryArray, isCopySet, isCopyBag, isCopyMap, assertCopySet,
//   assertCopyBag, assertCopyMap, coerceToElements, coerceToBagEntries,
//   setCompare, bagCompare
// Patterns: M, matches(specimen, patt), mustMatch(specimen, patt, label?),
//   isPattern, assertPattern, kindOf, getRankCover(patt, encodePassable),
//   getInterfaceGuardPayload, getMethodGuardPayload, getAwaitArgGuardPayload,
//   getInterfaceMethodKeys, isAwaitArgGuard, isRawGuard, assertInterfaceGuard,
//   assertMethodGuard
// Heap stores (@agoric/store): makeScalarMapStore(tag='key', {keyShape,
//   valueShape}), makeScalarSetStore(tag, {keyShape}),
//   makeScalarWeakMapStore(tag, {longLived, keyShape, valueShape}),
//   makeScalarWeakSetStore(tag, {longLived, keyShape}), provideLazy(store,
//   key, makeValue), makeAtomicProvider(store), appendToStoredArray,
//   makeCurrentKeysKit (as store-utils)
// Exos (@endo/exo): makeExo(tag, guard, methods, options),
//   defineExoClass(tag, guard, init, methods, options),
//   defineExoClassKit(tag, guardKit, init, methodsKit, options) with options
//   {finish, receiveAmplifier, receiveInstanceTester}, initEmpty,
//   GET_INTERFACE_GUARD ('__getInterfaceGuard__'), getInterfaceGuard(exo).
// The building blocks for virtual and durable objects, as exo-tools.js:
//   defendPrototype(tag, contextProvider, behaviorMethods, thisfulMethods =
//     false, interfaceGuard = undefined) -> a hardened Far prototype. Each
//     of its methods checks its arguments (and result) against the guard,
//     then calls the behavior method with `this` = contextProvider(this)
//     when thisfulMethods, else with the context as first argument. The
//     context is what the caller keeps for an instance: {state, self} for a
//     class, {state, facets} for a kit; contextProvider returns undefined
//     for a non-instance (the call then throws "... may only be applied to
//     a valid instance"). Instances are objects whose prototype is this
//     prototype, made remotable with makeInstance(proto) below.
//   defendPrototypeKit(tag, contextProviderKit, behaviorMethodsKit,
//     thisfulMethods = false, interfaceGuardKit = undefined)
//     -> {facetName: prototype}; facet tags are `${tag} ${facetName}`.
//   makeInstance(proto) -> a fresh hardened remotable inheriting proto.
(function makePatterns(env) {
  'use strict';

  const { harden, Far, Remotable, makeTagged, getInterfaceOf, isPromise, seal: sealHardened } = env;
  // sealAll freezes a table of this file's functions and the functions in
  // it, shallowly (they hold nothing else): a deep harden of every export
  // costs more than the rest of building this kit.
  const sealAll = o => {
    for (const v of Object.values(o)) sealHardened(v);
    sealHardened(o);
    return o;
  };
  const { freeze, is, entries, fromEntries, values, keys: objectKeys, hasOwn: objectHasOwn, create, seal, defineProperties, getPrototypeOf } = Object;
  const { ownKeys, apply } = Reflect;
  const { isArray } = Array;
  const hasOwn = objectHasOwn || ((o, k) => Object.prototype.hasOwnProperty.call(o, k));

  // --- errors, worded as SES words them ---------------------------------------
  const an = str => {
    str = `${str}`;
    return str.length >= 1 && 'aeiouAEIOU'.includes(str[0]) ? `an ${str}` : `a ${str}`;
  };
  const bestEffortStringify = payload => {
    const seen = new Set();
    const replacer = (_, val) => {
      switch (typeof val) {
        case 'object': {
          if (val === null) return null;
          if (seen.has(val)) return '[Seen]';
          seen.add(val);
          if (val instanceof Error) return `[${val.name}: ${val.message}]`;
          if (Symbol.toStringTag in val) return `[${val[Symbol.toStringTag]}]`;
          if (isArray(val)) return val;
          const names = objectKeys(val);
          if (names.length < 2) return val;
          let sorted = true;
          for (let i = 1; i < names.length; i += 1) {
            if (names[i - 1] >= names[i]) {
              sorted = false;
              break;
            }
          }
          if (sorted) return val;
          names.sort();
          return fromEntries(names.map(name => [name, val[name]]));
        }
        case 'function':
          return `[Function ${val.name || '<anon>'}]`;
        case 'string':
          return val.startsWith('[') ? `[${val}]` : val;
        case 'undefined':
        case 'symbol':
          return `[${String(val)}]`;
        case 'bigint':
          return `[${val}n]`;
        case 'number':
          if (is(val, NaN)) return '[NaN]';
          if (val === Infinity) return '[Infinity]';
          if (val === -Infinity) return '[-Infinity]';
          return val;
        default:
          return val;
      }
    };
    try {
      return JSON.stringify(payload, replacer);
    } catch (_err) {
      return '[Something that failed to stringify]';
    }
  };
  const declassified = new WeakSet();
  const declassify = str => {
    const box = freeze({ toString: () => str });
    declassified.add(box);
    return box;
  };
  const q = payload => declassify(bestEffortStringify(payload));
  const b = payload => declassify(String(payload));
  const detailsMessage = (template, args) => {
    let out = template[0];
    for (let i = 0; i < args.length; i += 1) {
      const arg = args[i];
      let s;
      if (declassified.has(arg)) s = `${arg}`;
      else if (arg instanceof Error) s = `(${an(arg.name)})`;
      else s = `(${an(typeof arg)})`;
      out += s + template[i + 1];
    }
    return out;
  };
  const makeError = (message, ErrorCtor = Error) => harden(ErrorCtor(message));
  const Fail = (template, ...args) => {
    throw makeError(detailsMessage(template, args));
  };
  const throwLabeled = (innerErr, label) => {
    if (typeof label === 'number') label = `[${label}]`;
    const message = innerErr instanceof Error ? innerErr.message : String(innerErr);
    throw makeError(`${label}: ${message}`);
  };
  const applyLabelingError = (func, args, label = undefined) => {
    if (label === undefined) return func(...args);
    let result;
    try {
      result = func(...args);
    } catch (err) {
      throwLabeled(err, label);
    }
    if (isPromise(result)) {
      return Promise.resolve(result).then(undefined, reason => throwLabeled(reason, label));
    }
    return result;
  };
  const listDifference = (left, right) => {
    const rightSet = new Set(right);
    return left.filter(x => !rightSet.has(x));
  };
  const objectMap = (original, mapFn) => {
    const ents = ownKeys(original).map(k => [k, mapFn(original[k], k)]);
    const out = {};
    for (const [k, v] of ents) out[k] = v;
    return harden(out);
  };

  // --- pass styles ------------------------------------------------------------
  const passStyleOf = v => {
    const style = env.passStyleOf(v);
    if (style === 'symbol') assertPassableSymbol(v);
    return style;
  };
  const isAtom = v => {
    switch (typeof v) {
      case 'undefined':
      case 'boolean':
      case 'number':
      case 'bigint':
      case 'string':
        return true;
      case 'symbol':
        return isPassableSymbol(v);
      default:
        return v === null;
    }
  };
  const getTag = tagged => tagged[Symbol.toStringTag];
  let wellKnownSymbolNames;
  const wellKnown = () => {
    if (wellKnownSymbolNames === undefined) {
      wellKnownSymbolNames = new Map();
      for (const name of ownKeys(Symbol)) {
        if (typeof name === 'string' && typeof Symbol[name] === 'symbol') {
          wellKnownSymbolNames.set(Symbol[name], `@@${name}`);
        }
      }
    }
    return wellKnownSymbolNames;
  };
  const isPassableSymbol = sym => typeof sym === 'symbol' && (typeof Symbol.keyFor(sym) === 'string' || wellKnown().has(sym));
  const assertPassableSymbol = sym => isPassableSymbol(sym) || Fail`Only registered symbols or well-known symbols are passable: ${q(sym)}`;
  const nameForPassableSymbol = sym => {
    const name = Symbol.keyFor(sym);
    if (name === undefined) return wellKnown().get(sym);
    if (name.startsWith('@@')) return `@@${name}`;
    return name;
  };
  const passableSymbolForName = name => {
    typeof name === 'string' || Fail`${q(name)} must be a string, not ${q(typeof name)}`;
    const match = /^@@(.*)$/.exec(name);
    if (match) {
      const suffix = match[1];
      if (suffix.startsWith('@@')) return Symbol.for(suffix);
      const sym = Symbol[suffix];
      if (typeof sym === 'symbol') return sym;
      Fail`Reserved for well known symbol ${q(suffix)}: ${q(name)}`;
    }
    return Symbol.for(name);
  };
  const assertPassable = v => {
    const style = passStyleOf(v);
    switch (style) {
      case 'copyArray':
        v.forEach(assertPassable);
        break;
      case 'copyRecord':
        values(v).forEach(assertPassable);
        break;
      case 'tagged':
        assertPassable(v.payload);
        break;
      default:
        break;
    }
  };
  const filterIterable = (baseIterable, pred) =>
    Far('filtered iterable', {
      [Symbol.iterator]: () => {
        const it = baseIterable[Symbol.iterator]();
        return Far('filtered iterator', {
          next: () => {
            for (;;) {
              const result = it.next();
              const { done, value } = result;
              if (done || pred(value)) return result;
            }
          },
        });
      },
    });
  const mapIterable = (baseIterable, fn) =>
    Far('mapped iterable', {
      [Symbol.iterator]: () => {
        const it = baseIterable[Symbol.iterator]();
        return Far('mapped iterator', {
          next: () => {
            const { done, value } = it.next();
            return done ? harden({ done: true, value: undefined }) : harden({ done: false, value: fn(value) });
          },
        });
      },
    });

  // --- rank order (@endo/marshal rankOrder.js) -----------------------------------
  // Each pass style's prefix characters in encodings; their order is the
  // rank order of the pass styles.
  const passStylePrefixes = freeze({
    error: '!',
    copyRecord: '(',
    tagged: ':',
    promise: '?',
    copyArray: '[^',
    byteArray: 'a',
    boolean: 'b',
    number: 'f',
    bigint: 'np',
    remotable: 'r',
    string: 's',
    null: 'v',
    symbol: 'y',
    undefined: 'z',
  });
  const passStyleRanks = create(null);
  objectKeys(passStylePrefixes).forEach((style, index) => {
    const prefixes = passStylePrefixes[style];
    passStyleRanks[style] = freeze({
      index,
      cover: freeze([prefixes.charAt(0), String.fromCharCode(prefixes.charCodeAt(prefixes.length - 1) + 1)]),
    });
  });
  freeze(passStyleRanks);
  const getPassStyleCover = style => passStyleRanks[style].cover;
  const recordNames = record => harden(ownKeys(record).sort().reverse());
  const recordValues = (record, names) => harden(names.map(name => record[name]));
  const sameValueZero = (x, y) => x === y || is(x, y);
  const trivialComparator = (left, right) => (left < right ? -1 : left === right ? 0 : 1);
  const compareNumerics = (left, right) => {
    if (left < right) return -1;
    if (left > right) return 1;
    if (Number.isNaN(left) === Number.isNaN(right)) return 0;
    if (Number.isNaN(right)) return -1;
    return 1;
  };
  const memoOfSorted = new WeakMap();
  const makeComparatorKit = (compareRemotables = (_x, _y) => NaN) => {
    const comparator = (left, right) => {
      if (sameValueZero(left, right)) return 0;
      const leftStyle = passStyleOf(left);
      const rightStyle = passStyleOf(right);
      if (leftStyle !== rightStyle) {
        return compareNumerics(passStyleRanks[leftStyle].index, passStyleRanks[rightStyle].index);
      }
      switch (leftStyle) {
        case 'remotable':
          return compareRemotables(left, right);
        case 'undefined':
        case 'null':
        case 'error':
        case 'promise':
          return 0;
        case 'boolean':
        case 'bigint':
        case 'string':
          return trivialComparator(left, right);
        case 'symbol':
          return comparator(nameForPassableSymbol(left), nameForPassableSymbol(right));
        case 'number':
          return compareNumerics(left, right);
        case 'copyRecord': {
          const leftNames = recordNames(left);
          const rightNames = recordNames(right);
          const result = comparator(leftNames, rightNames);
          if (result !== 0) return result;
          return comparator(recordValues(left, leftNames), recordValues(right, rightNames));
        }
        case 'copyArray': {
          const len = Math.min(left.length, right.length);
          for (let i = 0; i < len; i += 1) {
            const result = comparator(left[i], right[i]);
            if (result !== 0) return result;
          }
          return comparator(left.length, right.length);
        }
        case 'tagged': {
          const labelComp = comparator(getTag(left), getTag(right));
          if (labelComp !== 0) return labelComp;
          return comparator(left.payload, right.payload);
        }
        default:
          throw Fail`Unrecognized passStyle: ${q(leftStyle)}`;
      }
    };
    const outerComparator = (x, y) => comparator(x, y) || 0;
    const antiComparator = (x, y) => outerComparator(y, x);
    memoOfSorted.set(outerComparator, new WeakSet());
    memoOfSorted.set(antiComparator, new WeakSet());
    return harden({ comparator: outerComparator, antiComparator });
  };
  const { comparator: compareRank, antiComparator: compareAntiRank } = makeComparatorKit();
  const { comparator: compareRankRemotablesTied, antiComparator: compareAntiRankRemotablesTied } = makeComparatorKit((_x, _y) => 0);
  const makeFullOrderComparatorKit = (longLived = false) => {
    let numSeen = 0;
    const seen = longLived ? new WeakMap() : new Map();
    const tag = r => {
      if (seen.has(r)) return seen.get(r);
      numSeen += 1;
      seen.set(r, numSeen);
      return numSeen;
    };
    return makeComparatorKit((x, y) => compareRank(tag(x), tag(y)));
  };
  const isRankSorted = (passables, compare = compareRankRemotablesTied) => {
    const sub = memoOfSorted.get(compare);
    if (sub !== undefined && sub.has(passables)) return true;
    passStyleOf(passables) === 'copyArray' || Fail`Must be an array: ${passables}`;
    for (let i = 1; i < passables.length; i += 1) {
      if (compare(passables[i - 1], passables[i]) >= 1) return false;
    }
    if (sub !== undefined) sub.add(passables);
    return true;
  };
  const assertRankSorted = (sorted, compare = compareRankRemotablesTied) =>
    isRankSorted(sorted, compare) || Fail`Must be rank sorted: ${sorted} vs ${sortByRank(sorted, compare)}`;
  const sortByRank = (passables, compare = compareRankRemotablesTied) => {
    let unsorted;
    if (isArray(passables)) {
      harden(passables);
      if (isRankSorted(passables, compare)) return passables;
      unsorted = [...passables];
    } else {
      unsorted = Array.from(passables, harden);
    }
    const sorted = unsorted.sort(compare);
    // Array.prototype.sort puts undefined last without asking compare.
    if (compare(true, undefined) > 0) {
      let i = sorted.length - 1;
      while (i >= 0 && sorted[i] === undefined) i -= 1;
      const n = sorted.length - i - 1;
      if (n > 0 && n < sorted.length) {
        sorted.copyWithin(n, 0);
        sorted.fill(undefined, 0, n);
      }
    }
    harden(sorted);
    const sub = memoOfSorted.get(compare);
    if (sub !== undefined) sub.add(sorted);
    return sorted;
  };
  const maxRank = (compare, x, y) => (compare(x, y) >= 0 ? x : y);
  const minRank = (compare, x, y) => (compare(x, y) <= 0 ? x : y);
  const unionRankCovers = (covers, compare = compareRankRemotablesTied) =>
    covers.reduce(([la, ra], [lb, rb]) => [minRank(compare, la, lb), maxRank(compare, ra, rb)], ['{', '']);
  const intersectRankCovers = (covers, compare = compareRankRemotablesTied) =>
    covers.reduce(([la, ra], [lb, rb]) => [maxRank(compare, la, lb), minRank(compare, ra, rb)], ['', '{']);

  // --- order-preserving encoding (@endo/marshal encodePassable.js) -------------
  const zeroPad = (n, size) => {
    const nStr = `${n}`;
    const fillLen = size - nStr.length;
    if (fillLen === 0) return nStr;
    (fillLen > 0 && fillLen < 16) || Fail`Check failed`;
    return `${'0'.repeat(fillLen)}${nStr}`;
  };
  const floatView = new DataView(new ArrayBuffer(8));
  const hex8 = n => n.toString(16).padStart(8, '0');
  // A number is its IEEE-754 bits in hex: negatives complemented, the sign
  // bit of the others flipped, so that string order is numeric order.
  const encodeBinary64 = f => {
    if (is(f, -0)) f = 0;
    let hi;
    let lo;
    if (is(f, NaN)) {
      hi = 0x7ff80000;
      lo = 0;
    } else {
      floatView.setFloat64(0, f);
      hi = floatView.getUint32(0);
      lo = floatView.getUint32(4);
    }
    if (f < 0) {
      hi = ~hi >>> 0;
      lo = ~lo >>> 0;
    } else {
      hi = (hi ^ 0x80000000) >>> 0;
    }
    return `f${hex8(hi)}${hex8(lo)}`;
  };
  const decodeBinary64 = (encoded, skip = 0) => {
    encoded.charAt(skip) === 'f' || Fail`Encoded number expected: ${encoded}`;
    const digits = encoded.substring(skip + 1);
    /^[0-9a-f]{16}$/.test(digits) || Fail`Encoded number expected: ${encoded}`;
    let hi = parseInt(digits.substring(0, 8), 16);
    let lo = parseInt(digits.substring(8), 16);
    if (digits.charAt(0) < '8') {
      hi = ~hi >>> 0;
      lo = ~lo >>> 0;
    } else {
      hi = (hi ^ 0x80000000) >>> 0;
    }
    floatView.setUint32(0, hi);
    floatView.setUint32(4, lo);
    const result = floatView.getFloat64(0);
    !is(result, -0) || Fail`Unexpected negative zero: ${digits}`;
    return result;
  };
  const encodeBigInt = n => {
    const abs = n < 0n ? -n : n;
    const nDigits = abs.toString().length;
    const lDigits = nDigits.toString().length;
    if (n < 0n) {
      return `n${'#'.repeat(lDigits - 1)}${(10 ** lDigits - nDigits).toString().padStart(lDigits, '0')}:${(10n ** BigInt(nDigits) + n).toString().padStart(nDigits, '0')}`;
    }
    return `p${'~'.repeat(lDigits - 1)}${nDigits}:${n}`;
  };
  const decodeBigInt = encoded => {
    const typePrefix = encoded.charAt(0);
    typePrefix === 'p' || typePrefix === 'n' || Fail`Encoded bigint expected: ${encoded}`;
    const m = encoded.match(/([0-9]+)(:([0-9]+$|)|)/) || Fail`Digit count expected: ${encoded}`;
    const lDigits = m.index;
    const snDigits = m[1];
    const tail = m[2];
    const digits = m[3];
    snDigits.length === lDigits || Fail`Unary-prefixed decimal digit count expected: ${encoded}`;
    let nDigits = parseInt(snDigits, 10);
    if (typePrefix === 'n') nDigits = 10 ** lDigits - nDigits;
    tail.charAt(0) === ':' || Fail`Separator expected: ${encoded}`;
    digits.length === nDigits || Fail`Fixed-length digit sequence expected: ${encoded}`;
    let n = BigInt(digits);
    if (typePrefix === 'n') n = -(10n ** BigInt(nDigits) - n);
    return n;
  };
  const compactEscape = ch => {
    const cp = ch.charCodeAt(0);
    if (ch === ' ') return '!_';
    if (ch === '!') return '!|';
    if (ch === '^') return '_@';
    if (ch === '_') return '__';
    return `!${String.fromCharCode(cp + 0x21)}`;
  };
  const encodeCompactStringSuffix = str => str.replace(/[\0-!^_]/g, compactEscape);
  const decodeCompactStringSuffix = encoded =>
    encoded.replace(/([\0-!_])(.|\n)?/g, (esc, prefix, suffix) => {
      switch (esc) {
        case '!_':
          return ' ';
        case '!|':
          return '!';
        case '_@':
          return '^';
        case '__':
          return '_';
        default:
          (prefix === '!' && suffix !== undefined && suffix >= '!' && suffix <= '@') || Fail`invalid string escape: ${q(esc)}`;
          return String.fromCharCode(suffix.charCodeAt(0) - 0x21);
      }
    });
  const identity = s => s;
  const encodeCompactArray = (array, encodeRecur) => {
    const chars = ['^'];
    for (const element of array) chars.push(encodeRecur(element), ' ');
    return chars.join('');
  };
  const decodeCompactArray = (encoded, decodeRecur, skip = 0) => {
    const elements = [];
    let depth = 0;
    let nextIndex = skip + 1;
    let currentElementStart = skip + 1;
    const re = /[\^ ]/g;
    for (let m = re.exec(encoded); m !== null; m = re.exec(encoded)) {
      const ch = m[0];
      const index = m.index;
      if (index <= skip) {
        if (index === skip) ch === '^' || Fail`Encoded array expected: ${encoded.substring(skip)}`;
      } else if (ch === '^') {
        depth += 1;
      } else {
        if (index === nextIndex) {
          depth -= 1;
          depth >= 0 || Fail`unexpected array element terminator: ${encoded.slice(skip, index + 2)}`;
        }
        if (depth === 0) {
          elements.push(decodeRecur(encoded.slice(currentElementStart, index)));
          currentElementStart = index + 1;
        }
      }
      nextIndex = index + 1;
    }
    depth === 0 || Fail`unterminated array: ${encoded.substring(skip)}`;
    nextIndex === encoded.length || Fail`unterminated array element: ${encoded.substring(currentElementStart)}`;
    return harden(elements);
  };
  // The legacy array: each element's encoding with \u0000 and \u0001
  // escaped by \u0001, terminated by \u0000.
  const encodeLegacyArray = (array, encodeRecur) => {
    const chars = ['['];
    for (const element of array) {
      const enc = encodeRecur(element);
      chars.push(enc.replace(/[\u0000\u0001]/g, c => `\u0001${c}`), '\u0000');
    }
    return chars.join('');
  };
  const decodeLegacyArray = (encoded, decodeRecur, skip = 0) => {
    encoded.charAt(skip) === '[' || Fail`Encoded array expected: ${encoded.substring(skip)}`;
    const elements = [];
    let elemChars = '';
    let inEscape = false;
    for (let i = skip + 1; i < encoded.length; i += 1) {
      const c = encoded.charAt(i);
      if (inEscape) {
        c === '\u0000' || c === '\u0001' || Fail`Unexpected character after u0001 escape: ${c}`;
        elemChars += c;
        inEscape = false;
      } else if (c === '\u0000') {
        elements.push(decodeRecur(elemChars));
        elemChars = '';
      } else if (c === '\u0001') {
        inEscape = true;
      } else {
        elemChars += c;
      }
    }
    !inEscape || Fail`unexpected end of encoding ${encoded.substring(skip)}`;
    elemChars.length === 0 || Fail`encoding terminated early: ${encoded.substring(skip)}`;
    return harden(elements);
  };
  const encodeRecord = (record, encodeArray, encodeRecur) => {
    const names = recordNames(record);
    return `(${encodeArray(harden([names, recordValues(record, names)]), encodeRecur)}`;
  };
  const decodeRecord = (encoded, decodeArray, decodeRecur, skip = 0) => {
    const unzipped = decodeArray(encoded, decodeRecur, skip + 1);
    unzipped.length === 2 || Fail`expected keys,values pair: ${encoded.substring(skip)}`;
    const [names, vals] = unzipped;
    (passStyleOf(names) === 'copyArray' && passStyleOf(vals) === 'copyArray' && names.length === vals.length && names.every(k => typeof k === 'string')) ||
      Fail`not a valid record encoding: ${encoded.substring(skip)}`;
    const record = harden(fromEntries(names.map((k, i) => [k, vals[i]])));
    passStyleOf(record) === 'copyRecord' || Fail`not a valid record encoding: ${encoded.substring(skip)}`;
    return record;
  };
  const encodeTagged = (tagged, encodeArray, encodeRecur) => `:${encodeArray(harden([getTag(tagged), tagged.payload]), encodeRecur)}`;
  const decodeTagged = (encoded, decodeArray, decodeRecur, skip = 0) => {
    const pair = decodeArray(encoded, decodeRecur, skip + 1);
    pair.length === 2 || Fail`expected tag,payload pair: ${encoded.substring(skip)}`;
    const [tag, payload] = pair;
    passStyleOf(tag) === 'string' || Fail`not a valid tagged encoding: ${encoded.substring(skip)}`;
    return makeTagged(tag, payload);
  };
  const checkedEncoder = (unsafe, prefix, label, verifyEncoding) => (x, recur) => {
    const encoding = unsafe(x, recur);
    (typeof encoding === 'string' && encoding.charAt(0) === prefix) || Fail`${b(label)} encoding must start with ${q(prefix)}: ${encoding}`;
    verifyEncoding(encoding, label);
    return encoding;
  };
  const makeInnerEncode = (encodeStringSuffix, encodeArray, options) => {
    const { verifyEncoding = () => {} } = options;
    const encodeRemotable = checkedEncoder(options.encodeRemotable, 'r', 'Remotable', verifyEncoding);
    const encodePromise = checkedEncoder(options.encodePromise, '?', 'Promise', verifyEncoding);
    const encodeError = checkedEncoder(options.encodeError, '!', 'Error', verifyEncoding);
    const innerEncode = passable => {
      if (passable instanceof Error) return encodeError(passable, innerEncode);
      const passStyle = passStyleOf(passable);
      switch (passStyle) {
        case 'null':
          return 'v';
        case 'undefined':
          return 'z';
        case 'number':
          return encodeBinary64(passable);
        case 'string':
          return `s${encodeStringSuffix(passable)}`;
        case 'boolean':
          return `b${passable}`;
        case 'bigint':
          return encodeBigInt(passable);
        case 'remotable':
          return encodeRemotable(passable, innerEncode);
        case 'error':
          return encodeError(passable, innerEncode);
        case 'promise':
          return encodePromise(passable, innerEncode);
        case 'symbol':
          return `y${encodeStringSuffix(nameForPassableSymbol(passable))}`;
        case 'copyArray':
          return encodeArray(passable, innerEncode);
        case 'copyRecord':
          return encodeRecord(passable, encodeArray, innerEncode);
        case 'tagged':
          return encodeTagged(passable, encodeArray, innerEncode);
        default:
          throw Fail`a ${q(passStyle)} cannot be used as a collection passable`;
      }
    };
    return innerEncode;
  };
  const makeInnerDecode = (decodeStringSuffix, decodeArray, options) => {
    const { decodeRemotable, decodePromise, decodeError } = options;
    const innerDecode = (encoded, skip = 0) => {
      switch (encoded.charAt(skip)) {
        case 'v':
          return null;
        case 'z':
          return undefined;
        case 'f':
          return decodeBinary64(encoded, skip);
        case 's':
          return decodeStringSuffix(encoded.substring(skip + 1));
        case 'b': {
          const rest = encoded.substring(skip + 1);
          if (rest === 'true') return true;
          if (rest === 'false') return false;
          throw Fail`expected encoded boolean to be "btrue" or "bfalse": ${rest}`;
        }
        case 'n':
        case 'p':
          return decodeBigInt(encoded.substring(skip));
        case 'r':
          return decodeRemotable(encoded.substring(skip), innerDecode);
        case '?':
          return decodePromise(encoded.substring(skip), innerDecode);
        case '!':
          return decodeError(encoded.substring(skip), innerDecode);
        case 'y':
          return passableSymbolForName(decodeStringSuffix(encoded.substring(skip + 1)));
        case '[':
        case '^':
          return decodeArray(encoded, innerDecode, skip);
        case '(':
          return decodeRecord(encoded, decodeArray, innerDecode, skip);
        case ':':
          return decodeTagged(encoded, decodeArray, innerDecode, skip);
        default:
          throw Fail`invalid database key: ${encoded.substring(skip)}`;
      }
    };
    return innerDecode;
  };
  const liberalDecoders = { decodeRemotable: () => undefined, decodePromise: () => undefined, decodeError: () => undefined };
  const makePassableKit = (options = {}) => {
    const {
      encodeRemotable = r => Fail`remotable unexpected: ${r}`,
      encodePromise = p => Fail`promise unexpected: ${p}`,
      encodeError = err => Fail`error unexpected: ${err}`,
      format = 'legacyOrdered',
      decodeRemotable = encoding => Fail`remotable unexpected: ${encoding}`,
      decodePromise = encoding => Fail`promise unexpected: ${encoding}`,
      decodeError = encoding => Fail`error unexpected: ${encoding}`,
    } = options;
    const encodeOptions = { encodeRemotable, encodePromise, encodeError };
    let encodePassable;
    if (format === 'compactOrdered') {
      const liberalDecode = makeInnerDecode(decodeCompactStringSuffix, decodeCompactArray, liberalDecoders);
      const verifyEncoding = (encoding, label) => {
        !/[\x00-\x1F]/.test(encoding) || Fail`${b(label)} encoding must not contain a C0 control character: ${encoding}`;
        const decoded = decodeCompactArray(`^v ${encoding} v `, liberalDecode);
        (isArray(decoded) && decoded.length === 3 && decoded[0] === null && decoded[2] === null) || Fail`${b(label)} encoding must be embeddable: ${encoding}`;
      };
      const encodeCompact = makeInnerEncode(encodeCompactStringSuffix, encodeCompactArray, { ...encodeOptions, verifyEncoding });
      encodePassable = passable => `~${encodeCompact(passable)}`;
    } else if (format === 'legacyOrdered') {
      encodePassable = makeInnerEncode(identity, encodeLegacyArray, encodeOptions);
    } else {
      throw Fail`Unrecognized format: ${q(format)}`;
    }
    const decodeOptions = { decodeRemotable, decodePromise, decodeError };
    const decodeCompact = makeInnerDecode(decodeCompactStringSuffix, decodeCompactArray, decodeOptions);
    const decodeLegacy = makeInnerDecode(identity, decodeLegacyArray, decodeOptions);
    const decodePassable = encoded => {
      typeof encoded === 'string' || Fail`invalid database key: ${encoded}`;
      return encoded.charAt(0) === '~' ? decodeCompact(encoded, 1) : decodeLegacy(encoded);
    };
    return harden({ encodePassable, decodePassable });
  };
  const makeEncodePassable = options => makePassableKit(options).encodePassable;
  const makeDecodePassable = options => makePassableKit(options).decodePassable;
  const isEncodedRemotable = encoded => encoded.charAt(0) === 'r';

  // --- keys (@endo/patterns keys/) ------------------------------------------------
  const confirmScalarKey = (val, reject) => {
    if (isAtom(val)) return true;
    const passStyle = passStyleOf(val);
    if (passStyle === 'remotable') return true;
    return reject && reject`A ${q(passStyle)} cannot be a scalar key: ${val}`;
  };
  const isScalarKey = val => confirmScalarKey(val, false);
  const assertScalarKey = val => {
    confirmScalarKey(val, Fail);
  };
  const keyMemo = new WeakSet();
  const confirmKey = (val, reject) => {
    if (isAtom(val)) return true;
    if (keyMemo.has(val)) return true;
    const result = confirmKeyInternal(val, reject);
    if (result) keyMemo.add(val);
    return result;
  };
  const isKey = val => confirmKey(val, false);
  const assertKey = val => {
    confirmKey(val, Fail);
  };
  const confirmNoDuplicates = (elements, fullCompare, reject, getKey) => {
    fullCompare = fullCompare || makeFullOrderComparatorKit().antiComparator;
    const sorted = sortByRank(elements, fullCompare);
    for (let i = 1; i < sorted.length; i += 1) {
      const k0 = getKey(sorted[i - 1]);
      if (fullCompare(k0, getKey(sorted[i])) === 0) {
        return reject && reject`value has duplicate keys: ${k0}`;
      }
    }
    return true;
  };
  const confirmElements = (elements, reject) => {
    if (passStyleOf(elements) !== 'copyArray') {
      return reject && reject`The keys of a copySet or copyMap must be a copyArray: ${elements}`;
    }
    if (!isRankSorted(elements, compareAntiRank)) {
      return reject && reject`The keys of a copySet or copyMap must be sorted in reverse rank order: ${elements}`;
    }
    return confirmNoDuplicates(elements, undefined, reject, x => x);
  };
  const coerceToElements = elementsList => {
    const elements = sortByRank(elementsList, compareAntiRank);
    confirmElements(elements, Fail);
    return elements;
  };
  const confirmBagEntries = (bagEntries, reject) => {
    if (passStyleOf(bagEntries) !== 'copyArray') {
      return reject && reject`The entries of a copyBag must be a copyArray: ${bagEntries}`;
    }
    if (!isRankSorted(bagEntries, compareAntiRank)) {
      return reject && reject`The entries of a copyBag must be sorted in reverse rank order: ${bagEntries}`;
    }
    for (const entry of bagEntries) {
      if (passStyleOf(entry) !== 'copyArray' || entry.length !== 2 || typeof entry[1] !== 'bigint') {
        return reject && reject`Each entry of a copyBag must be pair of a key and a bigint representing a count: ${entry}`;
      }
      if (entry[1] < 1) {
        return reject && reject`Each entry of a copyBag must have a positive count: ${entry}`;
      }
    }
    return confirmNoDuplicates(bagEntries, undefined, reject, e => e[0]);
  };
  const coerceToBagEntries = list => {
    const bagEntries = sortByRank(list, compareAntiRank);
    confirmBagEntries(bagEntries, Fail);
    return bagEntries;
  };
  const copySetMemo = new WeakSet();
  const confirmCopySet = (s, reject) => {
    if (copySetMemo.has(s)) return true;
    const result =
      ((passStyleOf(s) === 'tagged' && getTag(s) === 'copySet') || (reject && reject`Not a copySet: ${s}`)) &&
      confirmElements(s.payload, reject) &&
      confirmKey(s.payload, reject);
    if (result) copySetMemo.add(s);
    return result;
  };
  const isCopySet = s => confirmCopySet(s, false);
  const assertCopySet = s => {
    confirmCopySet(s, Fail);
  };
  const getCopySetKeys = s => {
    assertCopySet(s);
    return s.payload;
  };
  const makeCopySet = elementIter => {
    const result = makeTagged('copySet', coerceToElements(elementIter));
    assertCopySet(result);
    return result;
  };
  const copyBagMemo = new WeakSet();
  const confirmCopyBag = (bag, reject) => {
    if (copyBagMemo.has(bag)) return true;
    const result =
      ((passStyleOf(bag) === 'tagged' && getTag(bag) === 'copyBag') || (reject && reject`Not a copyBag: ${bag}`)) &&
      confirmBagEntries(bag.payload, reject) &&
      confirmKey(bag.payload, reject);
    if (result) copyBagMemo.add(bag);
    return result;
  };
  const isCopyBag = bag => confirmCopyBag(bag, false);
  const assertCopyBag = bag => {
    confirmCopyBag(bag, Fail);
  };
  const getCopyBagEntries = bag => {
    assertCopyBag(bag);
    return bag.payload;
  };
  const makeCopyBag = bagEntryIter => {
    const result = makeTagged('copyBag', coerceToBagEntries(bagEntryIter));
    assertCopyBag(result);
    return result;
  };
  const makeCopyBagFromElements = elementIter => {
    const fullCompare = makeFullOrderComparatorKit().antiComparator;
    const sorted = sortByRank(elementIter, fullCompare);
    const bagEntries = [];
    for (let i = 0; i < sorted.length; ) {
      const k = sorted[i];
      let j = i + 1;
      while (j < sorted.length && fullCompare(k, sorted[j]) === 0) j += 1;
      bagEntries.push([k, BigInt(j - i)]);
      i = j;
    }
    return makeCopyBag(bagEntries);
  };
  const copyMapMemo = new WeakSet();
  const confirmCopyMap = (m, reject) => {
    if (copyMapMemo.has(m)) return true;
    if (!(passStyleOf(m) === 'tagged' && getTag(m) === 'copyMap')) {
      return reject && reject`Not a copyMap: ${m}`;
    }
    const { payload } = m;
    if (passStyleOf(payload) !== 'copyRecord') {
      return reject && reject`A copyMap's payload must be a record: ${m}`;
    }
    const { keys, values: vals, ...rest } = payload;
    const result =
      (ownKeys(rest).length === 0 || (reject && reject`A copyMap's payload must only have .keys and .values: ${m}`)) &&
      confirmElements(keys, reject) &&
      confirmKey(keys, reject) &&
      (passStyleOf(vals) === 'copyArray' || (reject && reject`A copyMap's .values must be a copyArray: ${m}`)) &&
      (keys.length === vals.length || (reject && reject`A copyMap must have the same number of keys and values: ${m}`));
    if (result) copyMapMemo.add(m);
    return result;
  };
  const isCopyMap = m => confirmCopyMap(m, false);
  const assertCopyMap = m => {
    confirmCopyMap(m, Fail);
  };
  const getCopyMapKeys = m => {
    assertCopyMap(m);
    return m.payload.keys;
  };
  const getCopyMapValues = m => {
    assertCopyMap(m);
    return m.payload.values;
  };
  const getCopyMapEntryArray = m => {
    assertCopyMap(m);
    const { keys, values: vals } = m.payload;
    return harden(keys.map((key, i) => [key, vals[i]]));
  };
  const getCopyMapEntries = m => {
    assertCopyMap(m);
    const { keys, values: vals } = m.payload;
    const { length } = keys;
    return Far('CopyMap entries iterable', {
      [Symbol.iterator]: () => {
        let i = 0;
        return Far('CopyMap entries iterator', {
          next: () => {
            if (i < length) {
              const result = harden({ done: false, value: [keys[i], vals[i]] });
              i += 1;
              return result;
            }
            return harden({ done: true, value: undefined });
          },
        });
      },
    });
  };
  const copyMapKeySet = m => makeTagged('copySet', m.payload.keys);
  const makeCopyMap = mapEntries => {
    const sorted = sortByRank(mapEntries, compareAntiRank);
    const result = makeTagged('copyMap', { keys: sorted.map(([k, _v]) => k), values: sorted.map(([_k, v]) => v) });
    assertCopyMap(result);
    return result;
  };
  const confirmKeyInternal = (val, reject) => {
    const checkIt = child => confirmKey(child, reject);
    const passStyle = passStyleOf(val);
    switch (passStyle) {
      case 'remotable':
        return true;
      case 'copyRecord':
        return values(val).every(checkIt);
      case 'copyArray':
        return val.every(checkIt);
      case 'tagged': {
        const tag = getTag(val);
        switch (tag) {
          case 'copySet':
            return confirmCopySet(val, reject);
          case 'copyBag':
            return confirmCopyBag(val, reject);
          case 'copyMap':
            return confirmCopyMap(val, reject) && val.payload.values.every(checkIt);
          default:
            return reject && reject`A passable tagged ${q(tag)} is not a key: ${val}`;
        }
      }
      case 'error':
      case 'promise':
        return reject && reject`A ${q(passStyle)} cannot be a key`;
      default:
        throw Fail`unexpected passStyle ${q(passStyle)}: ${val}`;
    }
  };
  // compareCollections compares two collections given as [key, value]
  // entries: equal, a sub-collection (-1), a super-collection (1), or
  // incomparable (NaN), with absent standing for a missing entry.
  const compareCollections = (leftEntries, rightEntries, absent, compareValues) => {
    let result = 0;
    const rightUsed = new Array(rightEntries.length).fill(false);
    const step = comp => {
      if (Number.isNaN(comp)) return false;
      if (comp !== 0) {
        if (result === 0) result = comp;
        else if (result !== comp) {
          result = NaN;
          return false;
        }
      }
      return true;
    };
    for (const [lk, lv] of leftEntries) {
      const j = rightEntries.findIndex(([rk], idx) => !rightUsed[idx] && keyEQ(lk, rk));
      let rv = absent;
      if (j >= 0) {
        rightUsed[j] = true;
        rv = rightEntries[j][1];
      }
      if (!step(compareValues(lv, rv))) return NaN;
    }
    for (let j = 0; j < rightEntries.length; j += 1) {
      if (!rightUsed[j] && !step(compareValues(absent, rightEntries[j][1]))) return NaN;
    }
    return result;
  };
  const setCompare = (left, right) =>
    compareCollections(
      getCopySetKeys(left).map(k => [k, 1]),
      getCopySetKeys(right).map(k => [k, 1]),
      0,
      compareNumerics,
    );
  const bagCompare = (left, right) => compareCollections(getCopyBagEntries(left), getCopyBagEntries(right), 0n, compareNumerics);
  const compareKeys = (left, right) => {
    assertKey(left);
    assertKey(right);
    const leftStyle = passStyleOf(left);
    const rightStyle = passStyleOf(right);
    if (leftStyle !== rightStyle) return NaN;
    switch (leftStyle) {
      case 'undefined':
      case 'null':
      case 'boolean':
      case 'bigint':
      case 'string':
      case 'symbol':
        return compareRank(left, right);
      case 'number': {
        const rankComp = compareRank(left, right);
        if (rankComp === 0) return 0;
        if (Number.isNaN(left) || Number.isNaN(right)) return NaN;
        return rankComp;
      }
      case 'remotable':
        return left === right ? 0 : NaN;
      case 'copyArray': {
        const len = Math.min(left.length, right.length);
        for (let i = 0; i < len; i += 1) {
          const result = compareKeys(left[i], right[i]);
          if (result !== 0) return result;
        }
        return compareRank(left.length, right.length);
      }
      case 'copyRecord': {
        const leftNames = recordNames(left);
        const rightNames = recordNames(right);
        if (!keyEQ(leftNames, rightNames)) return NaN;
        const leftValues = recordValues(left, leftNames);
        const rightValues = recordValues(right, rightNames);
        let result = 0;
        for (let i = 0; i < leftValues.length; i += 1) {
          const comp = compareKeys(leftValues[i], rightValues[i]);
          if (Number.isNaN(comp)) return NaN;
          if (result !== comp && comp !== 0) {
            if (result === 0) result = comp;
            else return NaN;
          }
        }
        return result;
      }
      case 'tagged': {
        const leftTag = getTag(left);
        const rightTag = getTag(right);
        if (leftTag !== rightTag) return NaN;
        switch (leftTag) {
          case 'copySet':
            return setCompare(left, right);
          case 'copyBag':
            return bagCompare(left, right);
          case 'copyMap':
            throw Fail`Map comparison not yet implemented: ${left} vs ${right}`;
          default:
            throw Fail`unexpected tag ${q(leftTag)}: ${left}`;
        }
      }
      default:
        throw Fail`unexpected passStyle ${q(leftStyle)}: ${left}`;
    }
  };
  const keyLT = (l, r) => compareKeys(l, r) < 0;
  const keyLTE = (l, r) => compareKeys(l, r) <= 0;
  const keyEQ = (l, r) => compareKeys(l, r) === 0;
  const keyGTE = (l, r) => compareKeys(l, r) >= 0;
  const keyGT = (l, r) => compareKeys(l, r) > 0;

  // --- patterns (@endo/patterns patternMatchers.js) ------------------------------
  const defaultLimits = harden({
    decimalDigitsLimit: 100,
    stringLengthLimit: 100000,
    symbolNameLengthLimit: 100,
    numPropertiesLimit: 80,
    propertyNameLengthLimit: 100,
    arrayLengthLimit: 10000,
    byteLengthLimit: 100000,
    numSetElementsLimit: 10000,
    numUniqueBagElementsLimit: 10000,
    numMapEntriesLimit: 5000,
  });
  const limit = (limits = {}) => harden({ __proto__: defaultLimits, ...limits });
  const confirmDecimalDigitsLimit = (specimen, decimalDigitsLimit, reject) => {
    if (Math.floor(Math.log10(Math.abs(Number(specimen)))) + 1 <= decimalDigitsLimit) return true;
    return reject && reject`bigint ${specimen} must not have more than ${decimalDigitsLimit} digits`;
  };
  const patternMemo = new WeakSet();
  const tagMemo = new WeakMap();
  // Filled below: the helpers of the match: tags and the payload shapes of
  // the guard: tags.
  let HelpersByMatchTag;
  let GuardPayloadShapes;
  let guardPayloadShape = tag => {
    if (!tag.startsWith('guard:')) return undefined;
    GuardPayloadShapes = makeGuardPayloadShapes();
    guardPayloadShape = t => GuardPayloadShapes[t];
    return GuardPayloadShapes[tag];
  };
  let M;

  const confirmIsWellFormedWithLimit = (payload, mainPayloadShape, prefix, reject) => {
    if (!isArray(payload)) return reject && reject`${q(prefix)} payload must be an array: ${payload}`;
    const mainLength = mainPayloadShape.length;
    if (!(payload.length === mainLength || payload.length === mainLength + 1)) {
      return reject && reject`${q(prefix)} payload unexpected size: ${payload}`;
    }
    const limits = payload[mainLength];
    payload = harden(payload.slice(0, mainLength));
    if (!confirmNestedMatches(payload, mainPayloadShape, prefix, reject)) return false;
    if (limits === undefined) return true;
    return (
      (passStyleOf(limits) === 'copyRecord' || (reject && reject`Limits must be a record: ${q(limits)}`)) &&
      entries(limits).every(([key, value]) => passStyleOf(value) === 'number' || (reject && reject`Value of limit ${q(key)} but be a number: ${q(value)}`))
    );
  };
  const confirmTagged = (tagged, tag, reject) => {
    const matchHelper = HelpersByMatchTag[tag];
    if (matchHelper) return matchHelper.confirmIsWellFormed(tagged.payload, reject);
    const payloadShape = guardPayloadShape(tag);
    if (payloadShape !== undefined) return confirmNestedMatches(tagged.payload, payloadShape, tag, reject);
    switch (tag) {
      case 'copySet':
        return confirmCopySet(tagged, reject);
      case 'copyBag':
        return confirmCopyBag(tagged, reject);
      case 'copyMap':
        return confirmCopyMap(tagged, reject);
      default:
        return reject && reject`cannot check unrecognized tag ${q(tag)}: ${tagged}`;
    }
  };
  const confirmKindOf = (specimen, reject) => {
    const passStyle = passStyleOf(specimen);
    if (passStyle !== 'tagged') return passStyle;
    if (tagMemo.has(specimen)) return tagMemo.get(specimen);
    const tag = getTag(specimen);
    if (confirmTagged(specimen, tag, reject)) {
      tagMemo.set(specimen, tag);
      return tag;
    }
    reject && reject`cannot check unrecognized tag ${q(tag)}`;
    return undefined;
  };
  const kindOf = specimen => confirmKindOf(specimen, false);
  const confirmKind = (specimen, kind, reject) => {
    if (kind === 'null' || kind === 'undefined') {
      return confirmAsKeyPatt(specimen, kind === 'null' ? null : undefined, reject);
    }
    const realKind = confirmKindOf(specimen, reject);
    if (kind === realKind) return true;
    return reject && reject`${b(realKind === undefined ? 'unknown' : realKind)} ${specimen} - Must be a ${b(kind)}`;
  };
  const isKind = (specimen, kind) => confirmKind(specimen, kind, false);
  const isUndefinedPatt = patt => patt === undefined || (isKind(patt, 'match:kind') && patt.payload === 'undefined');
  const confirmAsKeyPatt = (specimen, keyAsPattern, reject) => {
    if (isKey(specimen) && keyEQ(specimen, keyAsPattern)) return true;
    return reject && reject`${specimen} - Must be: ${keyAsPattern}`;
  };
  const confirmPattern = (patt, reject) => {
    if (isKey(patt)) return true;
    if (patternMemo.has(patt)) return true;
    const result = confirmPatternInternal(patt, reject);
    if (result) patternMemo.add(patt);
    return result;
  };
  const confirmPatternInternal = (patt, reject) => {
    const checkIt = child => confirmPattern(child, reject);
    const kind = confirmKindOf(patt, reject);
    switch (kind) {
      case undefined:
        return false;
      case 'copyRecord':
        return values(patt).every(checkIt);
      case 'copyArray':
        return patt.every(checkIt);
      case 'copyMap':
        return confirmPattern(patt.payload.values, reject);
      case 'error':
      case 'promise':
        return reject && reject`A ${q(kind)} cannot be a pattern`;
      default:
        if (HelpersByMatchTag[kind] !== undefined) return true;
        return reject && reject`A passable of kind ${q(kind)} is not a pattern: ${patt}`;
    }
  };
  const isPattern = patt => confirmPattern(patt, false);
  const assertPattern = patt => {
    confirmPattern(patt, Fail);
  };
  // qp renders a pattern for a message; the reference passes it unquoted,
  // so SES redacts it as a string.
  const qp = _patt => '';
  const confirmMatches = (specimen, patt, reject) => {
    const patternKind = confirmKindOf(patt, Fail);
    const specimenKind = kindOf(specimen);
    switch (patternKind) {
      case undefined:
        return reject && reject`pattern expected: ${patt}`;
      case 'promise':
        return reject && reject`promises cannot be patterns: ${patt}`;
      case 'error':
        return reject && reject`errors cannot be patterns: ${patt}`;
      case 'undefined':
      case 'null':
      case 'boolean':
      case 'number':
      case 'bigint':
      case 'string':
      case 'symbol':
      case 'byteArray':
      case 'copySet':
      case 'copyBag':
      case 'remotable':
        return confirmAsKeyPatt(specimen, patt, reject);
      case 'copyArray': {
        if (isKey(patt)) return confirmAsKeyPatt(specimen, patt, reject);
        if (specimenKind !== 'copyArray') {
          return reject && reject`${specimen} - Must be a copyArray to match a copyArray pattern: ${qp(patt)}`;
        }
        if (specimen.length !== patt.length) {
          return reject && reject`Array ${specimen} - Must be as long as copyArray pattern: ${qp(patt)}`;
        }
        return patt.every((p, i) => confirmNestedMatches(specimen[i], p, i, reject));
      }
      case 'copyRecord': {
        if (isKey(patt)) return confirmAsKeyPatt(specimen, patt, reject);
        if (specimenKind !== 'copyRecord') {
          return reject && reject`${specimen} - Must be a copyRecord to match a copyRecord pattern: ${qp(patt)}`;
        }
        const specimenNames = recordNames(specimen);
        const pattNames = recordNames(patt);
        const missing = listDifference(pattNames, specimenNames);
        if (missing.length >= 1) return reject && reject`${specimen} - Must have missing properties ${q(missing)}`;
        const unexpected = listDifference(specimenNames, pattNames);
        if (unexpected.length >= 1) return reject && reject`${specimen} - Must not have unexpected properties: ${q(unexpected)}`;
        const specimenValues = recordValues(specimen, specimenNames);
        const pattValues = recordValues(patt, pattNames);
        return pattNames.every((label, i) => confirmNestedMatches(specimenValues[i], pattValues[i], label, reject));
      }
      case 'copyMap': {
        if (isKey(patt)) return confirmAsKeyPatt(specimen, patt, reject);
        if (specimenKind !== 'copyMap') {
          return reject && reject`${specimen} - Must be a copyMap to match a copyMap pattern: ${qp(patt)}`;
        }
        if (!confirmMatches(copyMapKeySet(specimen), copyMapKeySet(patt), reject)) return false;
        const pattValues = [];
        const specimenValues = [];
        const specimenEntries = getCopyMapEntryArray(specimen);
        for (const [key, pattValue] of getCopyMapEntryArray(patt)) {
          const found = specimenEntries.find(([k]) => keyEQ(k, key));
          pattValues.push(pattValue);
          specimenValues.push(found[1]);
        }
        return confirmMatches(harden(specimenValues), harden(pattValues), reject);
      }
      default: {
        const matchHelper = HelpersByMatchTag[patternKind];
        if (matchHelper) return matchHelper.confirmMatches(specimen, patt.payload, reject);
        throw Fail`internal: should have recognized ${q(patternKind)} `;
      }
    }
  };
  const confirmNestedMatches = (specimen, pattern, prefix, reject) => applyLabelingError(confirmMatches, [specimen, pattern, reject], prefix);
  const matches = (specimen, patt) => confirmMatches(specimen, patt, false);
  const mustMatch = (specimen, patt, label = undefined) => {
    try {
      if (confirmMatches(specimen, patt, false)) return;
    } catch (_er) {
      // reported below, with the reasons
    }
    confirmNestedMatches(specimen, patt, label, Fail);
    throw makeError(detailsMessage(['internal: ', ': inconsistent pattern match: ', ''], [label, qp(patt)]));
  };
  const getRankCover = (patt, encodePassable) => {
    if (isKey(patt)) {
      const encoded = encodePassable(patt);
      if (encoded !== undefined) return [encoded, `${encoded}~`];
    }
    const passStyle = passStyleOf(patt);
    if (passStyle === 'tagged') {
      const matchHelper = HelpersByMatchTag[getTag(patt)];
      if (matchHelper) return matchHelper.getRankCover(patt.payload, encodePassable);
    }
    return getPassStyleCover(passStyle);
  };
  const confirmArrayEveryMatchPattern = (array, patt, labelPrefix, reject) => {
    if (isKind(patt, 'match:any')) return true;
    return array.every((el, i) => confirmNestedMatches(el, patt, `${labelPrefix}[${i}]`, reject));
  };
  const fullCover = () => ['', '{'];
  const scalarCover = () => ['a', 'z~'];
  const styleCover = style => () => getPassStyleCover(style);
  const anyIsWellFormed = (payload, reject) => payload === undefined || (reject && reject`match:any payload: ${payload} - Must be undefined`);
  const limitsHelper = (tag, mainShape, confirm, cover) => ({
    confirmMatches: confirm,
    confirmIsWellFormed: (payload, reject) => confirmIsWellFormedWithLimit(payload, harden(mainShape()), `${tag} payload`, reject),
    getRankCover: cover,
  });
  const kindDetails = specimen => {
    const passStyle = passStyleOf(specimen);
    return passStyle !== 'tagged' ? b(passStyle) : q(getTag(specimen));
  };
  const confirmElementsHasSplit = (elements, elementPatt, bound, reject, inResults, outResults, direction) => {
    let inCount = 0n;
    const firstIndex = direction === -1 ? elements.length - 1 : 0;
    const stopIndex = direction === -1 ? -1 : elements.length;
    for (let i = firstIndex; i !== stopIndex; i += direction) {
      const element = elements[i];
      if (inCount >= bound) {
        if (!outResults) break;
        outResults.push(element);
      } else if (matches(element, elementPatt)) {
        inCount += 1n;
        if (inResults) inResults.push(element);
      } else if (outResults) {
        outResults.push(element);
      }
    }
    return inCount >= bound || (reject && reject`Has only ${q(inCount)} matches, but needs ${q(bound)}`);
  };
  const pairsHasSplit = (pairs, elementPatt, bound, reject, inResults, outResults) => {
    let inCount = 0n;
    for (let i = pairs.length - 1; i >= 0; i -= 1) {
      const [element, num] = pairs[i];
      const stillNeeds = bound - inCount;
      if (stillNeeds <= 0n) {
        if (!outResults) break;
        outResults.push([element, num]);
      } else if (matches(element, elementPatt)) {
        const isPartial = num > stillNeeds;
        const numTake = isPartial ? stillNeeds : num;
        inCount += numTake;
        if (inResults) inResults.push([element, numTake]);
        if (isPartial && outResults) outResults.push([element, num - numTake]);
      } else if (outResults) {
        outResults.push([element, num]);
      }
    }
    return inCount >= bound || (reject && reject`Has only ${q(inCount)} matches, but needs ${q(bound)}`);
  };
  const containerHasSplit = (specimen, elementPatt, bound, reject, needInResults = false, needOutResults = false) => {
    const inResults = needInResults ? [] : undefined;
    const outResults = needOutResults ? [] : undefined;
    const kind = kindOf(specimen);
    switch (kind) {
      case 'copyArray':
        return confirmElementsHasSplit(specimen, elementPatt, bound, reject, inResults, outResults, 1) && harden([inResults, outResults]);
      case 'copySet':
        return (
          confirmElementsHasSplit(specimen.payload, elementPatt, bound, reject, inResults, outResults, -1) &&
          harden([inResults && makeCopySet(inResults), outResults && makeCopySet(outResults)])
        );
      case 'copyBag':
        return pairsHasSplit(specimen.payload, elementPatt, bound, reject, inResults, outResults) && harden([inResults && makeCopyBag(inResults), outResults && makeCopyBag(outResults)]);
      default:
        return reject && reject`unexpected ${q(kind)}`;
    }
  };
  const splitMessage = what => `Must be an array of a requiredPatt ${what}, an optional optionalPatt ${what}, and an optional restPatt: `;
  const splitIsWellFormed = (style, what) => (splitArray, reject) => {
    if (passStyleOf(splitArray) === 'copyArray') {
      if (!(splitArray.length >= 1 && splitArray.length <= 3)) {
        return reject && reject([splitMessage(what), ''], q(splitArray));
      }
      const [requiredPatt, optionalPatt = undefined, restPatt = undefined] = splitArray;
      if (
        isPattern(requiredPatt) &&
        passStyleOf(requiredPatt) === style &&
        (optionalPatt === undefined || (isPattern(optionalPatt) && passStyleOf(optionalPatt) === style)) &&
        (restPatt === undefined || isPattern(restPatt))
      ) {
        return true;
      }
    }
    return reject && reject([splitMessage(what), ''], q(splitArray));
  };
  const compareCoverHelper = (name, test, op) => ({
    confirmMatches: (specimen, rightOperand, reject) => test(specimen, rightOperand) || (reject && reject([`${name === 'x' ? '' : ''}`, ` - Must be ${op} `, ''], specimen, rightOperand)),
    confirmIsWellFormed: confirmKey,
  });
  const lteCover = (rightOperand, encodePassable) => {
    const [leftBound] = getPassStyleCover(passStyleOf(rightOperand));
    return [leftBound, `${encodePassable(rightOperand)}~`];
  };
  const gteCover = (rightOperand, encodePassable) => {
    const [, rightBound] = getPassStyleCover(passStyleOf(rightOperand));
    return [encodePassable(rightOperand), rightBound];
  };
  HelpersByMatchTag = freeze({
    'match:any': { confirmMatches: () => true, confirmIsWellFormed: anyIsWellFormed, getRankCover: fullCover },
    'match:and': {
      confirmMatches: (specimen, patts, reject) => patts.every(patt => confirmMatches(specimen, patt, reject)),
      confirmIsWellFormed: (allegedPatts, reject) =>
        (passStyleOf(allegedPatts) === 'copyArray' || (reject && reject`Needs array of sub-patterns: ${qp(allegedPatts)}`)) && allegedPatts.every(p => confirmPattern(p, reject)),
      getRankCover: (patts, encodePassable) => intersectRankCovers(patts.map(p => getRankCover(p, encodePassable)), compareRank),
    },
    'match:or': {
      confirmMatches: (specimen, patts, reject) => {
        if (patts.length === 0) return reject && reject`${specimen} - no pattern disjuncts to match: ${qp(patts)}`;
        const undefIdx = patts.length === 2 ? patts.findIndex(patt => isUndefinedPatt(patt)) : -1;
        if (undefIdx !== -1) return specimen === undefined || confirmMatches(specimen, patts[1 - undefIdx], reject);
        if (patts.some(patt => matches(specimen, patt))) return true;
        return reject && reject`${specimen} - Must match one of ${qp(patts)}`;
      },
      confirmIsWellFormed: (allegedPatts, reject) =>
        (passStyleOf(allegedPatts) === 'copyArray' || (reject && reject`Needs array of sub-patterns: ${qp(allegedPatts)}`)) && allegedPatts.every(p => confirmPattern(p, reject)),
      getRankCover: (patts, encodePassable) => unionRankCovers(patts.map(p => getRankCover(p, encodePassable)), compareRank),
    },
    'match:not': {
      confirmMatches: (specimen, patt, reject) => !matches(specimen, patt) || (reject && reject`${specimen} - Must fail negated pattern: ${qp(patt)}`),
      confirmIsWellFormed: (patt, reject) => confirmPattern(patt, reject),
      getRankCover: fullCover,
    },
    'match:scalar': { confirmMatches: (specimen, _p, reject) => confirmScalarKey(specimen, reject), confirmIsWellFormed: anyIsWellFormed, getRankCover: scalarCover },
    'match:key': { confirmMatches: (specimen, _p, reject) => confirmKey(specimen, reject), confirmIsWellFormed: anyIsWellFormed, getRankCover: scalarCover },
    'match:pattern': { confirmMatches: (specimen, _p, reject) => confirmPattern(specimen, reject), confirmIsWellFormed: anyIsWellFormed, getRankCover: scalarCover },
    'match:kind': {
      confirmMatches: (specimen, kind, reject) => confirmKind(specimen, kind, reject),
      confirmIsWellFormed: (allegedKeyKind, reject) =>
        typeof allegedKeyKind === 'string' || (reject && reject`match:kind: payload: ${allegedKeyKind} - A kind name must be a string`),
      getRankCover: kind => getPassStyleCover(kind === 'copySet' || kind === 'copyMap' || kind === 'copyBag' ? 'tagged' : passStyleRanks[kind] ? kind : 'tagged'),
    },
    'match:tagged': {
      confirmMatches: (specimen, [tagPatt, payloadPatt], reject) => {
        if (passStyleOf(specimen) !== 'tagged') return reject && reject`Expected tagged object, not ${q(passStyleOf(specimen))}: ${specimen}`;
        return confirmNestedMatches(getTag(specimen), tagPatt, 'tag', reject) && confirmNestedMatches(specimen.payload, payloadPatt, 'payload', reject);
      },
      confirmIsWellFormed: (payload, reject) => confirmNestedMatches(payload, harden([M.pattern(), M.pattern()]), 'match:tagged payload', reject),
      getRankCover: styleCover('tagged'),
    },
    'match:bigint': limitsHelper(
      'match:bigint',
      () => [],
      (specimen, [limits = undefined], reject) => confirmKind(specimen, 'bigint', reject) && confirmDecimalDigitsLimit(specimen, limit(limits).decimalDigitsLimit, reject),
      styleCover('bigint'),
    ),
    'match:nat': limitsHelper(
      'match:nat',
      () => [],
      (specimen, [limits = undefined], reject) =>
        confirmKind(specimen, 'bigint', reject) &&
        (specimen >= 0n || (reject && reject`${specimen} - Must be non-negative`)) &&
        confirmDecimalDigitsLimit(specimen, limit(limits).decimalDigitsLimit, reject),
      styleCover('bigint'),
    ),
    'match:string': limitsHelper(
      'match:string',
      () => [],
      (specimen, [limits = undefined], reject) => {
        const { stringLengthLimit } = limit(limits);
        return confirmKind(specimen, 'string', reject) && (specimen.length <= stringLengthLimit || (reject && reject`string ${specimen} must not be bigger than ${stringLengthLimit}`));
      },
      styleCover('string'),
    ),
    'match:symbol': limitsHelper(
      'match:symbol',
      () => [],
      (specimen, [limits = undefined], reject) => {
        const { symbolNameLengthLimit } = limit(limits);
        if (!confirmKind(specimen, 'symbol', reject)) return false;
        const symbolName = nameForPassableSymbol(specimen);
        return symbolName.length <= symbolNameLengthLimit || (reject && reject`Symbol name ${q(symbolName)} must not be bigger than ${symbolNameLengthLimit}`);
      },
      styleCover('symbol'),
    ),
    'match:remotable': {
      confirmMatches: (specimen, remotableDesc, reject) => {
        if (isKind(specimen, 'remotable')) return true;
        if (!reject) return false;
        return reject`${specimen} - Must be a remotable ${b(remotableDesc.label)}, not ${kindDetails(specimen)}`;
      },
      confirmIsWellFormed: (desc, reject) => confirmNestedMatches(desc, harden({ label: M.string() }), 'match:remotable payload', reject),
      getRankCover: styleCover('remotable'),
    },
    'match:promise': {
      confirmMatches: (specimen, promiseDesc, reject) => {
        if (isKind(specimen, 'promise')) return true;
        if (!reject) return false;
        return reject`${specimen} - Must be a promise ${b(promiseDesc.label)}, not ${kindDetails(specimen)}`;
      },
      confirmIsWellFormed: (desc, reject) => confirmNestedMatches(desc, harden({ label: M.string() }), 'match:promise payload', reject),
      getRankCover: styleCover('promise'),
    },
    'match:lt': { ...compareCoverHelper('', keyLT, '<'), getRankCover: lteCover },
    'match:lte': { ...compareCoverHelper('', keyLTE, '<='), getRankCover: lteCover },
    'match:gte': { ...compareCoverHelper('', keyGTE, '>='), getRankCover: gteCover },
    'match:gt': { ...compareCoverHelper('', keyGT, '>'), getRankCover: gteCover },
    'match:arrayOf': limitsHelper(
      'match:arrayOf',
      () => [M.pattern()],
      (specimen, [subPatt, limits = undefined], reject) => {
        const { arrayLengthLimit } = limit(limits);
        return (
          confirmKind(specimen, 'copyArray', reject) &&
          (specimen.length <= arrayLengthLimit || (reject && reject`Array length ${specimen.length} must be <= limit ${arrayLengthLimit}`)) &&
          confirmArrayEveryMatchPattern(specimen, subPatt, '', reject)
        );
      },
      styleCover('copyArray'),
    ),
    'match:recordOf': limitsHelper(
      'match:recordOf',
      () => [M.pattern(), M.pattern()],
      (specimen, [keyPatt, valuePatt, limits = undefined], reject) => {
        const { numPropertiesLimit, propertyNameLengthLimit } = limit(limits);
        return (
          confirmKind(specimen, 'copyRecord', reject) &&
          (ownKeys(specimen).length <= numPropertiesLimit || (reject && reject`Must not have more than ${q(numPropertiesLimit)} properties: ${specimen}`)) &&
          entries(specimen).every(
            ([key, value]) =>
              (key.length <= propertyNameLengthLimit ||
                (reject && applyLabelingError(() => reject`Property name must not be longer than ${q(propertyNameLengthLimit)}`, [], key))) &&
              confirmNestedMatches(harden([key, value]), harden([keyPatt, valuePatt]), key, reject),
          )
        );
      },
      styleCover('copyRecord'),
    ),
    'match:setOf': limitsHelper(
      'match:setOf',
      () => [M.pattern()],
      (specimen, [keyPatt, limits = undefined], reject) => {
        const { numSetElementsLimit } = limit(limits);
        return (
          ((confirmKind(specimen, 'copySet', reject) && specimen.payload.length < numSetElementsLimit) ||
            (reject && reject`Set must not have more than ${q(numSetElementsLimit)} elements: ${specimen.payload.length}`)) &&
          confirmArrayEveryMatchPattern(specimen.payload, keyPatt, 'set elements', reject)
        );
      },
      styleCover('tagged'),
    ),
    'match:bagOf': limitsHelper(
      'match:bagOf',
      () => [M.pattern(), M.pattern()],
      (specimen, [keyPatt, countPatt, limits = undefined], reject) => {
        const { numUniqueBagElementsLimit, decimalDigitsLimit } = limit(limits);
        return (
          ((confirmKind(specimen, 'copyBag', reject) && specimen.payload.length <= numUniqueBagElementsLimit) ||
            (reject && reject`Bag must not have more than ${q(numUniqueBagElementsLimit)} unique elements: ${specimen}`)) &&
          specimen.payload.every(
            ([key, count], i) =>
              confirmNestedMatches(key, keyPatt, `bag keys[${i}]`, reject) &&
              applyLabelingError(() => confirmDecimalDigitsLimit(count, decimalDigitsLimit, reject) && confirmMatches(count, countPatt, reject), [], `bag counts[${i}]`),
          )
        );
      },
      styleCover('tagged'),
    ),
    'match:containerHas': {
      confirmMatches: (specimen, [elementPatt, bound, limits = undefined], reject) => {
        confirmKindOf(specimen, reject);
        const { decimalDigitsLimit } = limit(limits);
        if (!confirmDecimalDigitsLimit(bound, decimalDigitsLimit, reject)) return false;
        return !!containerHasSplit(specimen, elementPatt, bound, reject);
      },
      confirmIsWellFormed: (payload, reject) => confirmIsWellFormedWithLimit(payload, harden([M.pattern(), M.gte(1n)]), 'M.containerHas payload', reject),
      getRankCover: styleCover('tagged'),
    },
    'match:mapOf': limitsHelper(
      'match:mapOf',
      () => [M.pattern(), M.pattern()],
      (specimen, [keyPatt, valuePatt, limits = undefined], reject) => {
        const { numMapEntriesLimit } = limit(limits);
        return (
          confirmKind(specimen, 'copyMap', reject) &&
          (specimen.payload.keys.length <= numMapEntriesLimit || (reject && reject`CopyMap must have no more than ${q(numMapEntriesLimit)} entries: ${specimen}`)) &&
          confirmArrayEveryMatchPattern(specimen.payload.keys, keyPatt, 'map keys', reject) &&
          confirmArrayEveryMatchPattern(specimen.payload.values, valuePatt, 'map values', reject)
        );
      },
      styleCover('tagged'),
    ),
    'match:splitArray': {
      confirmMatches: (specimen, [requiredPatt, optionalPatt = [], restPatt = M.any()], reject) => {
        if (!confirmKind(specimen, 'copyArray', reject)) return false;
        const numRequired = requiredPatt.length;
        const requiredSpecimen = specimen.slice(0, numRequired);
        const optionalSpecimen = specimen.slice(numRequired, numRequired + optionalPatt.length);
        const restSpecimen = harden(specimen.slice(numRequired + optionalPatt.length));
        const partialPatt = optionalPatt.slice(0, optionalSpecimen.length).map(patt => M.opt(patt));
        let argNum = 0;
        return (
          (requiredSpecimen.length === numRequired || (reject && reject`Expected at least ${q(numRequired)} arguments: ${specimen}`)) &&
          requiredPatt.every((p, i) => confirmNestedMatches(requiredSpecimen[i], p, `arg ${argNum++}`, reject)) &&
          partialPatt.every((p, i) => confirmNestedMatches(optionalSpecimen[i], p, `arg ${argNum++}?`, reject)) &&
          confirmNestedMatches(restSpecimen, restPatt, '...rest', reject)
        );
      },
      confirmIsWellFormed: splitIsWellFormed('copyArray', 'array'),
      getRankCover: styleCover('copyArray'),
    },
    'match:splitRecord': {
      confirmMatches: (specimen, [requiredPatt, optionalPatt = {}, restPatt = M.any()], reject) => {
        if (!confirmKind(specimen, 'copyRecord', reject)) return false;
        const req = {};
        const opt = {};
        const rest = {};
        for (const [name, value] of entries(specimen)) {
          if (hasOwn(requiredPatt, name)) req[name] = value;
          else if (hasOwn(optionalPatt, name)) opt[name] = value;
          else rest[name] = value;
        }
        harden(req);
        harden(opt);
        harden(rest);
        const partialNames = ownKeys(opt);
        return (
          confirmMatches(req, requiredPatt, reject) &&
          partialNames.every(name => confirmNestedMatches(opt[name], M.opt(optionalPatt[name]), `${name}?`, reject)) &&
          confirmNestedMatches(rest, restPatt, '...rest', reject)
        );
      },
      confirmIsWellFormed: splitIsWellFormed('copyRecord', 'record'),
      getRankCover: ([requiredPatt]) => getPassStyleCover(passStyleOf(requiredPatt)),
    },
  });

  const makeMatcher = (tag, payload) => {
    const matcher = makeTagged(tag, payload);
    assertPattern(matcher);
    return matcher;
  };
  const makeKindMatcher = kind => makeMatcher('match:kind', kind);
  const AnyShape = makeMatcher('match:any', undefined);
  const ScalarShape = makeMatcher('match:scalar', undefined);
  const KeyShape = makeMatcher('match:key', undefined);
  const PatternShape = makeMatcher('match:pattern', undefined);
  const BooleanShape = makeKindMatcher('boolean');
  const NumberShape = makeKindMatcher('number');
  const BigIntShape = makeTagged('match:bigint', []);
  const NatShape = makeTagged('match:nat', []);
  const StringShape = makeTagged('match:string', []);
  const SymbolShape = makeTagged('match:symbol', []);
  const RecordShape = makeTagged('match:recordOf', [AnyShape, AnyShape]);
  const ArrayShape = makeTagged('match:arrayOf', [AnyShape]);
  const SetShape = makeTagged('match:setOf', [AnyShape]);
  const BagShape = makeTagged('match:bagOf', [AnyShape, AnyShape]);
  const MapShape = makeTagged('match:mapOf', [AnyShape, AnyShape]);
  const RemotableShape = makeKindMatcher('remotable');
  const ErrorShape = makeKindMatcher('error');
  const PromiseShape = makeKindMatcher('promise');
  const UndefinedShape = makeKindMatcher('undefined');
  const makeLimitsMatcher = (tag, payload) => {
    if (payload[payload.length - 1] === undefined) payload = harden(payload.slice(0, payload.length - 1));
    return makeMatcher(tag, payload);
  };
  const makeSplitPayload = (empty, base, optional = undefined, rest = undefined) => {
    if (rest) return [base, optional || empty, rest];
    if (optional) return [base, optional];
    return [base];
  };

  // --- guards -----------------------------------------------------------------
  const AwaitArgGuardShape = makeKindMatcher('guard:awaitArgGuard');
  const RawGuardShape = makeKindMatcher('guard:rawGuard');
  const MethodGuardShape = makeKindMatcher('guard:methodGuard');
  const InterfaceGuardShape = makeKindMatcher('guard:interfaceGuard');
  const isAwaitArgGuard = specimen => matches(specimen, AwaitArgGuardShape);
  const assertAwaitArgGuard = specimen => mustMatch(specimen, AwaitArgGuardShape, 'awaitArgGuard');
  const isRawGuard = specimen => matches(specimen, RawGuardShape);
  const assertMethodGuard = specimen => mustMatch(specimen, MethodGuardShape, 'methodGuard');
  const assertInterfaceGuard = specimen => mustMatch(specimen, InterfaceGuardShape, 'interfaceGuard');
  const makeAwaitArgGuard = argPattern => {
    const result = makeTagged('guard:awaitArgGuard', { argGuard: argPattern });
    assertAwaitArgGuard(result);
    return result;
  };
  const makeMethodGuardMaker = (callKind, argGuards, optionalArgGuards = undefined, restArgGuard = undefined) =>
    harden({
      optional: (...optArgGuards) => {
        optionalArgGuards === undefined || Fail`Can only have one set of optional guards`;
        restArgGuard === undefined || Fail`optional arg guards must come before rest arg`;
        return makeMethodGuardMaker(callKind, argGuards, optArgGuards);
      },
      rest: rArgGuard => {
        restArgGuard === undefined || Fail`Can only have one rest arg`;
        return makeMethodGuardMaker(callKind, argGuards, optionalArgGuards, rArgGuard);
      },
      returns: (returnGuard = M.undefined()) => {
        const result = makeTagged('guard:methodGuard', { callKind, argGuards, optionalArgGuards, restArgGuard, returnGuard });
        assertMethodGuard(result);
        return result;
      },
    });
  const makeInterfaceGuard = (interfaceName, methodGuards, options = {}) => {
    const { sloppy = false, defaultGuards = sloppy ? 'passable' : undefined } = options;
    const stringMethodGuards = {};
    const symbolEntries = [];
    for (const key of ownKeys(methodGuards)) {
      const value = methodGuards[key];
      if (typeof key === 'symbol') symbolEntries.push([key, value]);
      else stringMethodGuards[key] = value;
    }
    const result = makeTagged('guard:interfaceGuard', {
      interfaceName,
      methodGuards: stringMethodGuards,
      ...(symbolEntries.length ? { symbolMethodGuards: makeCopyMap(symbolEntries) } : {}),
      defaultGuards,
    });
    assertInterfaceGuard(result);
    return result;
  };

  M = sealAll({
    any: () => AnyShape,
    and: (...patts) => makeMatcher('match:and', patts),
    or: (...patts) => makeMatcher('match:or', patts),
    not: subPatt => makeMatcher('match:not', subPatt),
    scalar: () => ScalarShape,
    key: () => KeyShape,
    pattern: () => PatternShape,
    kind: makeKindMatcher,
    tagged: (tagPatt = M.string(), payloadPatt = M.any()) => makeMatcher('match:tagged', harden([tagPatt, payloadPatt])),
    boolean: () => BooleanShape,
    number: () => NumberShape,
    bigint: (limits = undefined) => (limits ? makeLimitsMatcher('match:bigint', [limits]) : BigIntShape),
    nat: (limits = undefined) => (limits ? makeLimitsMatcher('match:nat', [limits]) : NatShape),
    string: (limits = undefined) => (limits ? makeLimitsMatcher('match:string', [limits]) : StringShape),
    symbol: (limits = undefined) => (limits ? makeLimitsMatcher('match:symbol', [limits]) : SymbolShape),
    record: (limits = undefined) => (limits ? M.recordOf(M.any(), M.any(), limits) : RecordShape),
    array: (limits = undefined) => (limits ? M.arrayOf(M.any(), limits) : ArrayShape),
    set: (limits = undefined) => (limits ? M.setOf(M.any(), limits) : SetShape),
    bag: (limits = undefined) => (limits ? M.bagOf(M.any(), M.any(), limits) : BagShape),
    map: (limits = undefined) => (limits ? M.mapOf(M.any(), M.any(), limits) : MapShape),
    remotable: (label = undefined) => (label === undefined ? RemotableShape : makeMatcher('match:remotable', harden({ label }))),
    error: () => ErrorShape,
    promise: (label = undefined) => (label === undefined ? PromiseShape : makeMatcher('match:promise', harden({ label }))),
    undefined: () => UndefinedShape,
    null: () => null,
    lt: rightOperand => makeMatcher('match:lt', rightOperand),
    lte: rightOperand => makeMatcher('match:lte', rightOperand),
    eq: key => {
      assertKey(key);
      return key === undefined ? M.undefined() : key;
    },
    neq: key => M.not(M.eq(key)),
    gte: rightOperand => makeMatcher('match:gte', rightOperand),
    gt: rightOperand => makeMatcher('match:gt', rightOperand),
    recordOf: (keyPatt = M.any(), valuePatt = M.any(), limits = undefined) => makeLimitsMatcher('match:recordOf', [keyPatt, valuePatt, limits]),
    arrayOf: (subPatt = M.any(), limits = undefined) => makeLimitsMatcher('match:arrayOf', [subPatt, limits]),
    setOf: (keyPatt = M.any(), limits = undefined) => makeLimitsMatcher('match:setOf', [keyPatt, limits]),
    bagOf: (keyPatt = M.any(), countPatt = M.any(), limits = undefined) => makeLimitsMatcher('match:bagOf', [keyPatt, countPatt, limits]),
    containerHas: (elementPatt = M.any(), countPatt = 1n, limits = undefined) => makeLimitsMatcher('match:containerHas', [elementPatt, countPatt, limits]),
    mapOf: (keyPatt = M.any(), valuePatt = M.any(), limits = undefined) => makeLimitsMatcher('match:mapOf', [keyPatt, valuePatt, limits]),
    splitArray: (base, optional = undefined, rest = undefined) => makeMatcher('match:splitArray', makeSplitPayload([], base, optional, rest)),
    splitRecord: (base, optional = undefined, rest = undefined) => makeMatcher('match:splitRecord', makeSplitPayload({}, base, optional, rest)),
    split: (base, rest = undefined) =>
      passStyleOf(harden(base)) === 'copyArray' ? M.splitArray(base, rest && [], rest) : M.splitRecord(base, rest && {}, rest),
    partial: (base, rest = undefined) => (passStyleOf(harden(base)) === 'copyArray' ? M.splitArray([], base, rest) : M.splitRecord({}, base, rest)),
    eref: t => M.or(t, M.promise()),
    opt: t => M.or(M.undefined(), t),
    interface: (interfaceName, methodGuards, options) => makeInterfaceGuard(interfaceName, methodGuards, options),
    call: (...argPatterns) => makeMethodGuardMaker('sync', argPatterns),
    callWhen: (...argGuards) => makeMethodGuardMaker('async', argGuards),
    await: argPattern => makeAwaitArgGuard(argPattern),
    raw: () => makeTagged('guard:rawGuard', {}),
  });

  // The payload shapes of the guard: tags, made on first need.
  const makeGuardPayloadShapes = () => {
    const SyncValueGuardShape = M.or(RawGuardShape, M.pattern());
    const SyncValueGuardListShape = M.arrayOf(SyncValueGuardShape);
    const ArgGuardListShape = M.arrayOf(M.or(RawGuardShape, AwaitArgGuardShape, M.pattern()));
    const MethodGuardPayloadShape = M.or(
      harden({
        callKind: 'sync',
        argGuards: SyncValueGuardListShape,
        optionalArgGuards: M.opt(SyncValueGuardListShape),
        restArgGuard: M.opt(SyncValueGuardShape),
        returnGuard: SyncValueGuardShape,
      }),
      harden({
        callKind: 'async',
        argGuards: ArgGuardListShape,
        optionalArgGuards: M.opt(ArgGuardListShape),
        restArgGuard: M.opt(SyncValueGuardShape),
        returnGuard: SyncValueGuardShape,
      }),
    );
    const InterfaceGuardPayloadShape = M.splitRecord(
      { interfaceName: M.string(), methodGuards: M.recordOf(M.string(), MethodGuardShape) },
      { defaultGuards: M.or(M.undefined(), 'passable', 'raw'), sloppy: M.boolean(), symbolMethodGuards: M.mapOf(M.symbol(), MethodGuardShape) },
    );
    return freeze({
      'guard:awaitArgGuard': harden({ argGuard: M.pattern() }),
      'guard:rawGuard': M.record(),
      'guard:methodGuard': MethodGuardPayloadShape,
      'guard:interfaceGuard': InterfaceGuardPayloadShape,
    });
  };
  const getAwaitArgGuardPayload = guard => {
    assertAwaitArgGuard(guard);
    return guard.payload;
  };
  const getMethodGuardPayload = guard => {
    assertMethodGuard(guard);
    return guard.payload;
  };
  const getInterfaceGuardPayload = guard => {
    assertInterfaceGuard(guard);
    return guard.payload;
  };
  const getInterfaceMethodKeys = guard => {
    const { methodGuards, symbolMethodGuards } = getInterfaceGuardPayload(guard);
    return harden([...ownKeys(methodGuards), ...(symbolMethodGuards ? getCopyMapKeys(symbolMethodGuards) : [])]);
  };

  // --- heap stores (@agoric/store) -------------------------------------------------
  const makeCurrentKeysKit = (getRawKeys, checkHas, compare, assertOkToAdd, assertOkToDelete = undefined, keyName = 'key') => {
    let updateCount = 0;
    let sortedKeysMemo;
    const assertUpdateOnAdd = (k, v = undefined) => {
      assertOkToAdd(k, v);
      updateCount += 1;
      sortedKeysMemo = undefined;
    };
    const assertUpdateOnDelete = k => assertOkToDelete && assertOkToDelete(k);
    const getSortedKeys = () => {
      if (sortedKeysMemo === undefined) sortedKeysMemo = harden([...getRawKeys()].sort(compare));
      return sortedKeysMemo;
    };
    const iterableKeys = Far('Iterable of keys', {
      [Symbol.iterator]: () => {
        const generation = updateCount;
        const sorted = getSortedKeys();
        const len = sorted.length;
        let i = 0;
        return Far('Iterator of keys', {
          next: () => {
            generation === updateCount || Fail`Store ${q(keyName)} cursor stale`;
            for (;;) {
              if (i >= len) return harden({ done: true, value: undefined });
              const value = sorted[i];
              i += 1;
              if (checkHas(value)) return harden({ done: false, value });
            }
          },
        });
      },
    });
    return harden({ assertUpdateOnAdd, assertUpdateOnDelete, iterableKeys });
  };
  const makeWeakMapStoreMethods = (jsmap, assertKVOkToAdd, assertKVOkToSet, assertKeyOkToDelete = undefined, keyName = 'key') => {
    const assertKeyDoesNotExist = key => !jsmap.has(key) || Fail`${q(keyName)} already registered: ${key}`;
    const assertKeyExists = key => jsmap.has(key) || Fail`${q(keyName)} not found: ${key}`;
    return harden({
      has: key => jsmap.has(key),
      get: key => {
        assertKeyExists(key);
        return jsmap.get(key);
      },
      init: (key, value) => {
        assertKeyDoesNotExist(key);
        assertKVOkToAdd(key, value);
        jsmap.set(key, value);
      },
      set: (key, value) => {
        assertKeyExists(key);
        assertKVOkToSet(key, value);
        jsmap.set(key, value);
      },
      delete: key => {
        assertKeyExists(key);
        if (assertKeyOkToDelete !== undefined) assertKeyOkToDelete(key);
        jsmap.delete(key);
      },
      addAll: mapEntries => {
        if (typeof mapEntries[Symbol.iterator] !== 'function') {
          if (Object.isFrozen(mapEntries) && isCopyMap(mapEntries)) mapEntries = getCopyMapEntries(mapEntries);
          else Fail`provided data source is not iterable: ${mapEntries}`;
        }
        for (const [key, value] of mapEntries) {
          assertKVOkToAdd(key, value);
          jsmap.set(key, value);
        }
      },
    });
  };
  const makeMapStoreMethods = (jsmap, assertKVOkToAdd, assertKVOkToSet, assertKeyOkToDelete = undefined, tag = 'key') => {
    const { assertUpdateOnAdd, assertUpdateOnDelete, iterableKeys } = makeCurrentKeysKit(
      () => jsmap.keys(),
      k => jsmap.has(k),
      compareRank,
      assertKVOkToAdd,
      assertKeyOkToDelete,
      tag,
    );
    const keys = (keyPatt = undefined, valuePatt = undefined) => {
      if (keyPatt === undefined && valuePatt === undefined) return iterableKeys;
      return filterIterable(iterableKeys, k => (keyPatt === undefined || matches(k, keyPatt)) && (valuePatt === undefined || matches(jsmap.get(k), valuePatt)));
    };
    const vals = (keyPatt = undefined, valuePatt = undefined) => mapIterable(keys(keyPatt, valuePatt), k => jsmap.get(k));
    const ents = (keyPatt = undefined, valuePatt = undefined) => mapIterable(keys(keyPatt, valuePatt), k => [k, jsmap.get(k)]);
    return harden({
      ...makeWeakMapStoreMethods(jsmap, assertUpdateOnAdd, assertKVOkToSet, assertUpdateOnDelete, tag),
      keys,
      values: vals,
      entries: ents,
      snapshot: (keyPatt = undefined, valuePatt = undefined) => makeCopyMap(ents(keyPatt, valuePatt)),
      getSize: (keyPatt = undefined, valuePatt = undefined) => (keyPatt === undefined && valuePatt === undefined ? jsmap.size : [...keys(keyPatt, valuePatt)].length),
      clear: (keyPatt = undefined, valuePatt = undefined) => {
        if (keyPatt === undefined && valuePatt === undefined) jsmap.clear();
        for (const key of keys(keyPatt, valuePatt)) jsmap.delete(key);
      },
    });
  };
  const checkShapes = (keyShape, valueShape) => {
    if (keyShape !== undefined) assertPattern(keyShape);
    if (valueShape !== undefined) assertPattern(valueShape);
  };
  const makeScalarMapStore = (tag = 'key', { keyShape = undefined, valueShape = undefined } = {}) => {
    const jsmap = new Map();
    checkShapes(keyShape, valueShape);
    const assertKVOkToSet = (_key, value) => {
      harden(value);
      assertPassable(value);
      if (valueShape !== undefined) mustMatch(value, valueShape, 'mapStore value');
    };
    const assertKVOkToAdd = (key, value) => {
      harden(key);
      assertScalarKey(key);
      if (keyShape !== undefined) mustMatch(key, keyShape, 'mapStore key');
      assertKVOkToSet(key, value);
    };
    return Far(`scalar MapStore of ${q(tag)}`, { ...makeMapStoreMethods(jsmap, assertKVOkToAdd, assertKVOkToSet, undefined, tag) });
  };
  const makeScalarWeakMapStore = (tag = 'key', { longLived = true, keyShape = undefined, valueShape = undefined } = {}) => {
    const jsmap = new (longLived ? WeakMap : Map)();
    checkShapes(keyShape, valueShape);
    const assertKVOkToSet = (_key, value) => {
      harden(value);
      assertPassable(value);
      if (valueShape !== undefined) mustMatch(value, valueShape, 'weakMapStore value');
    };
    const assertKVOkToAdd = (key, value) => {
      harden(key);
      passStyleOf(key) === 'remotable' || Fail`Only remotables can be keys of scalar WeakMapStores: ${key}`;
      if (keyShape !== undefined) mustMatch(key, keyShape, 'weakMapStore key');
      assertKVOkToSet(key, value);
    };
    return Far(`scalar WeakMapStore of ${q(tag)}`, { ...makeWeakMapStoreMethods(jsmap, assertKVOkToAdd, assertKVOkToSet, undefined, tag) });
  };
  const makeWeakSetStoreMethods = (jsset, assertKeyOkToAdd, assertKeyOkToDelete = undefined, keyName = 'key') => {
    const assertKeyExists = key => jsset.has(key) || Fail`${q(keyName)} not found: ${key}`;
    return harden({
      has: key => jsset.has(key),
      add: key => {
        assertKeyOkToAdd(key);
        jsset.add(key);
      },
      delete: key => {
        assertKeyExists(key);
        if (assertKeyOkToDelete !== undefined) assertKeyOkToDelete(key);
        jsset.delete(key);
      },
      addAll: ks => {
        if (typeof ks[Symbol.iterator] !== 'function') {
          if (Object.isFrozen(ks) && isCopySet(ks)) ks = getCopySetKeys(ks);
          else Fail`provided data source is not iterable: ${ks}`;
        }
        for (const key of ks) {
          assertKeyOkToAdd(key);
          jsset.add(key);
        }
      },
    });
  };
  const makeSetStoreMethods = (jsset, assertKeyOkToAdd, assertKeyOkToDelete = undefined, keyName = 'key') => {
    const { assertUpdateOnAdd, assertUpdateOnDelete, iterableKeys } = makeCurrentKeysKit(
      () => jsset.keys(),
      k => jsset.has(k),
      compareRank,
      assertKeyOkToAdd,
      assertKeyOkToDelete,
      keyName,
    );
    const keys = (keyPatt = undefined) => (keyPatt === undefined ? iterableKeys : filterIterable(iterableKeys, k => matches(k, keyPatt)));
    return harden({
      ...makeWeakSetStoreMethods(jsset, assertUpdateOnAdd, assertUpdateOnDelete, keyName),
      keys,
      values: keys,
      snapshot: (keyPatt = undefined) => makeCopySet(keys(keyPatt)),
      getSize: (keyPatt = undefined) => (keyPatt === undefined ? jsset.size : [...keys(keyPatt)].length),
      clear: (keyPatt = undefined) => {
        if (keyPatt === undefined) jsset.clear();
        for (const key of keys(keyPatt)) jsset.delete(key);
      },
    });
  };
  const makeScalarSetStore = (tag = 'key', { keyShape = undefined } = {}) => {
    const jsset = new Set();
    checkShapes(keyShape, undefined);
    const assertKeyOkToAdd = key => {
      harden(key);
      assertScalarKey(key);
      if (keyShape !== undefined) mustMatch(key, keyShape, 'setStore key');
    };
    return Far(`scalar SetStore of ${q(tag)}`, { ...makeSetStoreMethods(jsset, assertKeyOkToAdd, undefined, tag) });
  };
  const makeScalarWeakSetStore = (tag = 'key', { longLived = true, keyShape = undefined } = {}) => {
    const jsset = new (longLived ? WeakSet : Set)();
    checkShapes(keyShape, undefined);
    const assertKeyOkToAdd = key => {
      harden(key);
      passStyleOf(key) === 'remotable' || Fail`Only remotables can be keys of scalar WeakStores: ${key}`;
      if (keyShape !== undefined) mustMatch(key, keyShape, 'weakSetStore key');
    };
    return Far(`scalar WeakSetStore of ${q(tag)}`, { ...makeWeakSetStoreMethods(jsset, assertKeyOkToAdd, undefined, tag) });
  };
  const provideLazy = (mapStore, key, makeValue) => {
    if (!mapStore.has(key)) mapStore.init(key, makeValue(key));
    return mapStore.get(key);
  };
  const makeAtomicProvider = store => {
    const pending = new Map();
    const provideAsync = (key, makeValue, finishValue) => {
      if (store.has(key)) return Promise.resolve(store.get(key));
      if (!pending.has(key)) {
        const valP = makeValue(key)
          .then(v => {
            store.init(key, v);
            return v;
          })
          .then(v => (finishValue ? finishValue(key, v).then(() => v) : v))
          .finally(() => {
            pending.delete(key);
          });
        pending.set(key, valP);
      }
      return pending.get(key);
    };
    return harden({ provideAsync });
  };
  const appendToStoredArray = (mapStore, key, item) => {
    if (mapStore.has(key)) mapStore.set(key, harden([...mapStore.get(key), item]));
    else mapStore.init(key, harden([item]));
  };

  // --- exos (@endo/exo) -----------------------------------------------------------
  const GET_INTERFACE_GUARD = '__getInterfaceGuard__';
  const REDACTED_RAW_ARG = '<redacted raw arg>';
  let rawMethodGuard;
  let passableMethodGuard;
  const RawMethodGuard = () => rawMethodGuard || (rawMethodGuard = M.call().rest(M.raw()).returns(M.raw()));
  const PassableMethodGuard = () => passableMethodGuard || (passableMethodGuard = M.call().rest(M.any()).returns(M.any()));
  const toThrowable = thrown => {
    if (typeof thrown === 'object' && thrown !== null) harden(thrown);
    return thrown;
  };
  const buildMatchConfig = payload => {
    const { argGuards, optionalArgGuards = [], restArgGuard } = payload;
    const matchable = [...argGuards, ...optionalArgGuards];
    const redactedIndices = [];
    for (let i = 0; i < matchable.length; i += 1) {
      if (isRawGuard(matchable[i])) {
        matchable[i] = REDACTED_RAW_ARG;
        redactedIndices.push(i);
      }
    }
    let matchableRest = restArgGuard;
    if (isRawGuard(matchableRest)) matchableRest = M.arrayOf(REDACTED_RAW_ARG);
    return harden({
      declaredLen: matchable.length,
      hasRestArgGuard: restArgGuard !== undefined,
      restArgGuardIsRaw: restArgGuard !== matchableRest,
      paramsPattern: M.splitArray(harden(matchable.slice(0, argGuards.length)), harden(matchable.slice(argGuards.length)), matchableRest),
      redactedIndices,
    });
  };
  const defendSyncArgs = (syncArgs, matchConfig, label) => {
    const { declaredLen, hasRestArgGuard, restArgGuardIsRaw, paramsPattern, redactedIndices } = matchConfig;
    let matchableArgs = syncArgs;
    if (restArgGuardIsRaw && syncArgs.length > declaredLen) {
      matchableArgs = [...syncArgs.slice(0, declaredLen), ...Array(syncArgs.length - declaredLen).fill(REDACTED_RAW_ARG)];
    } else if (redactedIndices.length > 0 && redactedIndices[0] < syncArgs.length) {
      matchableArgs = [...syncArgs];
    }
    for (const i of redactedIndices) {
      if (i >= matchableArgs.length) break;
      matchableArgs[i] = REDACTED_RAW_ARG;
    }
    mustMatch(harden(matchableArgs), paramsPattern, label);
    if (hasRestArgGuard) return syncArgs;
    syncArgs.length <= declaredLen || Fail`${q(label)} accepts at most ${q(declaredLen)} arguments, not ${q(syncArgs.length)}: ${syncArgs}`;
    return syncArgs;
  };
  const defendSyncMethod = (getContext, behaviorMethod, payload, label) => {
    const { returnGuard } = payload;
    const isRawReturn = isRawGuard(returnGuard);
    const matchConfig = buildMatchConfig(payload);
    return {
      syncMethod(...syncArgs) {
        try {
          const context = getContext(this);
          const realArgs = defendSyncArgs(syncArgs, matchConfig, label);
          const result = apply(behaviorMethod, context, realArgs);
          if (!isRawReturn) mustMatch(harden(result), returnGuard, `${label}: result`);
          return result;
        } catch (thrown) {
          throw toThrowable(thrown);
        }
      },
    }.syncMethod;
  };
  const defendAsyncMethod = (getContext, behaviorMethod, payload, label) => {
    const { returnGuard, argGuards, optionalArgGuards = [], restArgGuard } = payload;
    const isRawReturn = isRawGuard(returnGuard);
    !isAwaitArgGuard(restArgGuard) || Fail`Rest args may not be awaited: ${restArgGuard}`;
    const rawArgGuards = [...argGuards, ...optionalArgGuards];
    const awaitIndexes = [];
    for (let i = 0; i < rawArgGuards.length; i += 1) {
      if (isAwaitArgGuard(rawArgGuards[i])) {
        rawArgGuards[i] = rawArgGuards[i].payload.argGuard;
        awaitIndexes.push(i);
      }
    }
    const matchConfig = buildMatchConfig({ ...payload, argGuards: rawArgGuards.slice(0, argGuards.length), optionalArgGuards: rawArgGuards.slice(argGuards.length) });
    return {
      asyncMethod(...args) {
        const awaitList = [];
        for (const i of awaitIndexes) {
          if (i >= args.length) break;
          awaitList.push(args[i]);
        }
        const syncArgs = [...args];
        const resultP = Promise.all(awaitList).then(awaitedArgs => {
          for (let j = 0; j < awaitedArgs.length; j += 1) syncArgs[awaitIndexes[j]] = awaitedArgs[j];
          const context = getContext(this);
          const realArgs = defendSyncArgs(syncArgs, matchConfig, label);
          return apply(behaviorMethod, context, realArgs);
        });
        return resultP
          .then(fulfillment => {
            if (!isRawReturn) mustMatch(harden(fulfillment), returnGuard, `${label}: result`);
            return fulfillment;
          })
          .catch(reason => Promise.reject(toThrowable(reason)));
      },
    }.asyncMethod;
  };
  const bindMethod = (methodTag, contextProvider, behaviorMethod, methodGuard) => {
    typeof behaviorMethod === 'function' || Fail`${q(behaviorMethod)} must be ${q('function')}`;
    const getContext = representative => {
      representative || Fail`Method ${methodTag} called without 'this' object`;
      const context = contextProvider(representative);
      if (context === undefined) throw Fail`${q(methodTag)} may only be applied to a valid instance: ${representative}`;
      return context;
    };
    const payload = getMethodGuardPayload(methodGuard);
    const method =
      payload.callKind === 'sync' ? defendSyncMethod(getContext, behaviorMethod, payload, methodTag) : defendAsyncMethod(getContext, behaviorMethod, payload, methodTag);
    defineProperties(method, { name: { value: methodTag }, length: { value: behaviorMethod.length } });
    return method;
  };
  const getRemotableMethodNames = obj => {
    const names = [];
    const seen = new Set();
    for (let o = obj; o !== null && o !== Object.prototype; o = getPrototypeOf(o)) {
      for (const k of ownKeys(o)) {
        if (!seen.has(k) && typeof o[k] === 'function') {
          seen.add(k);
          names.push(k);
        }
      }
    }
    // sorted as @endo/pass-style's getMethodNames: strings, then symbols
    const strs = names.filter(k => typeof k === 'string').sort();
    const syms = names.filter(k => typeof k === 'symbol');
    return [...strs, ...syms];
  };
  const defendPrototype = (tag, contextProvider, behaviorMethods, thisfulMethods = false, interfaceGuard = undefined) => {
    const prototype = {};
    const methodNames = getRemotableMethodNames(behaviorMethods).filter(key => {
      if (key !== 'constructor') return true;
      const ctor = behaviorMethods.constructor;
      return !(ctor.prototype && ctor.prototype.constructor === ctor);
    });
    let methodGuards;
    let defaultGuards;
    if (interfaceGuard) {
      const { interfaceName, methodGuards: mg, symbolMethodGuards, sloppy, defaultGuards: dg = sloppy ? 'passable' : undefined } = getInterfaceGuardPayload(interfaceGuard);
      const all = { ...mg };
      if (symbolMethodGuards) for (const [k, v] of getCopyMapEntryArray(symbolMethodGuards)) all[k] = v;
      methodGuards = harden(all);
      defaultGuards = dg;
      const methodGuardNames = ownKeys(methodGuards);
      const unimplemented = listDifference(methodGuardNames, methodNames);
      unimplemented.length === 0 || Fail`methods ${q(unimplemented)} not implemented by ${q(tag)}`;
      if (defaultGuards === undefined) {
        const unguarded = listDifference(methodNames, methodGuardNames);
        unguarded.length === 0 || Fail`methods ${q(unguarded)} not guarded by ${q(interfaceName)}`;
      }
    }
    for (const prop of methodNames) {
      const originalMethod = behaviorMethods[prop];
      const behaviorMethod = thisfulMethods
        ? originalMethod
        : {
            shiftedMethod(...args) {
              return originalMethod(this, ...args);
            },
          }.shiftedMethod;
      let methodGuard = methodGuards && methodGuards[prop];
      if (!methodGuard) {
        switch (defaultGuards) {
          case undefined:
            methodGuard = thisfulMethods ? PassableMethodGuard() : RawMethodGuard();
            break;
          case 'passable':
            methodGuard = PassableMethodGuard();
            break;
          case 'raw':
            methodGuard = RawMethodGuard();
            break;
          default:
            throw Fail`Unrecognized defaultGuards ${q(defaultGuards)}`;
        }
      }
      prototype[prop] = bindMethod(`In ${q(prop)} method of (${tag})`, contextProvider, behaviorMethod, methodGuard);
    }
    if (!hasOwn(prototype, GET_INTERFACE_GUARD)) {
      const getInterfaceGuardMethod = {
        [GET_INTERFACE_GUARD]() {
          return interfaceGuard;
        },
      }[GET_INTERFACE_GUARD];
      prototype[GET_INTERFACE_GUARD] = bindMethod(`In ${q(GET_INTERFACE_GUARD)} method of (${tag})`, contextProvider, getInterfaceGuardMethod, PassableMethodGuard());
    }
    return Far(tag, prototype);
  };
  const defendPrototypeKit = (tag, contextProviderKit, behaviorMethodsKit, thisfulMethods = false, interfaceGuardKit = undefined) => {
    const facetNames = ownKeys(behaviorMethodsKit).sort();
    facetNames.length > 1 || Fail`A multi-facet object must have multiple facets`;
    if (interfaceGuardKit) {
      const interfaceNames = ownKeys(interfaceGuardKit);
      const extraInterfaceNames = listDifference(facetNames, interfaceNames);
      extraInterfaceNames.length === 0 || Fail`Interfaces ${q(extraInterfaceNames)} not implemented by ${q(tag)}`;
      const extraFacetNames = listDifference(interfaceNames, facetNames);
      extraFacetNames.length === 0 || Fail`Facets ${q(extraFacetNames)} of ${q(tag)} not guarded by interfaces`;
    }
    const contextMapNames = ownKeys(contextProviderKit);
    const extraContextNames = listDifference(facetNames, contextMapNames);
    extraContextNames.length === 0 || Fail`Contexts ${q(extraContextNames)} not implemented by ${q(tag)}`;
    const extraFacetNames = listDifference(contextMapNames, facetNames);
    extraFacetNames.length === 0 || Fail`Facets ${q(extraFacetNames)} of ${q(tag)} missing contexts`;
    return objectMap(behaviorMethodsKit, (behaviorMethods, facetName) =>
      defendPrototype(`${tag} ${String(facetName)}`, contextProviderKit[facetName], behaviorMethods, thisfulMethods, interfaceGuardKit && interfaceGuardKit[facetName]),
    );
  };
  // makeInstance makes a representative: a hardened remotable whose
  // prototype is a prototype made by defendPrototype.
  const makeInstance = proto => Remotable(getInterfaceOf(proto), undefined, create(proto));
  const emptyRecord = harden({});
  const initEmpty = () => emptyRecord;
  const defineExoClass = (tag, interfaceGuard, init, methods, options = {}) => {
    harden(methods);
    const { finish = undefined, receiveAmplifier = undefined, receiveInstanceTester = undefined } = options;
    receiveAmplifier === undefined || Fail`Only facets of an exo class kit can be amplified ${q(tag)}`;
    const contextMap = new WeakMap();
    const proto = defendPrototype(tag, self => contextMap.get(self), methods, true, interfaceGuard);
    const makeExoInstance = (...args) => {
      const state = seal(init(...args));
      const self = makeInstance(proto);
      const context = freeze({ state, self });
      contextMap.set(self, context);
      if (finish) finish(context);
      return self;
    };
    if (receiveInstanceTester) {
      receiveInstanceTester(
        harden((exo, facetName = undefined) => {
          facetName === undefined || Fail`facetName can only be used with an exo class kit: ${q(tag)} has no facet ${q(facetName)}`;
          return contextMap.has(exo);
        }),
      );
    }
    return harden(makeExoInstance);
  };
  const defineExoClassKit = (tag, interfaceGuardKit, init, methodsKit, options = {}) => {
    harden(methodsKit);
    const { finish = undefined, receiveAmplifier = undefined, receiveInstanceTester = undefined } = options;
    const contextMapKit = objectMap(methodsKit, () => new WeakMap());
    const getContextKit = objectMap(contextMapKit, contextMap => facet => contextMap.get(facet));
    const prototypeKit = defendPrototypeKit(tag, getContextKit, methodsKit, true, interfaceGuardKit);
    const makeInstanceKit = (...args) => {
      const state = seal(init(...args));
      const context = { state, facets: null };
      const facets = objectMap(prototypeKit, (proto, facetName) => {
        const self = makeInstance(proto);
        contextMapKit[facetName].set(self, context);
        return self;
      });
      context.facets = facets;
      freeze(context);
      if (finish) finish(context);
      return context.facets;
    };
    if (receiveAmplifier) {
      receiveAmplifier(
        harden(exoFacet => {
          for (const contextMap of values(contextMapKit)) {
            if (contextMap.has(exoFacet)) return contextMap.get(exoFacet).facets;
          }
          throw Fail`Must be a facet of ${q(tag)}: ${exoFacet}`;
        }),
      );
    }
    if (receiveInstanceTester) {
      receiveInstanceTester(
        harden((exoFacet, facetName = undefined) => {
          if (facetName === undefined) return values(contextMapKit).some(contextMap => contextMap.has(exoFacet));
          typeof facetName === 'string' || Fail`${q(facetName)} must be ${q('string')}`;
          const contextMap = contextMapKit[facetName];
          contextMap !== undefined || Fail`exo class kit ${q(tag)} has no facet named ${q(facetName)}`;
          return contextMap.has(exoFacet);
        }),
      );
    }
    return harden(makeInstanceKit);
  };
  const makeExo = (tag, interfaceGuard, methods, options = undefined) => defineExoClass(tag, interfaceGuard, initEmpty, methods, options)();
  const getInterfaceGuard = exo => exo[GET_INTERFACE_GUARD]();

  return sealAll({
    // rank order and encoding
    compareRank,
    compareAntiRank,
    compareRankRemotablesTied,
    compareAntiRankRemotablesTied,
    makeComparatorKit,
    makeFullOrderComparatorKit,
    sortByRank,
    isRankSorted,
    assertRankSorted,
    getPassStyleCover,
    unionRankCovers,
    intersectRankCovers,
    recordNames,
    recordValues,
    zeroPad,
    passStylePrefixes,
    makeEncodePassable,
    makeDecodePassable,
    makePassableKit,
    isEncodedRemotable,
    nameForPassableSymbol,
    passableSymbolForName,
    isPassableSymbol,
    assertPassable,
    filterIterable,
    mapIterable,
    // keys
    isKey,
    assertKey,
    isScalarKey,
    assertScalarKey,
    compareKeys,
    keyLT,
    keyLTE,
    keyEQ,
    keyGTE,
    keyGT,
    makeCopySet,
    makeCopyBag,
    makeCopyBagFromElements,
    makeCopyMap,
    getCopySetKeys,
    getCopyBagEntries,
    getCopyMapKeys,
    getCopyMapValues,
    getCopyMapEntries,
    getCopyMapEntryArray,
    isCopySet,
    isCopyBag,
    isCopyMap,
    assertCopySet,
    assertCopyBag,
    assertCopyMap,
    coerceToElements,
    coerceToBagEntries,
    setCompare,
    bagCompare,
    // patterns
    M,
    matches,
    mustMatch,
    isPattern,
    assertPattern,
    kindOf,
    getRankCover,
    containerHasSplit,
    defaultLimits,
    getAwaitArgGuardPayload,
    getMethodGuardPayload,
    getInterfaceGuardPayload,
    getInterfaceMethodKeys,
    isAwaitArgGuard,
    isRawGuard,
    assertAwaitArgGuard,
    assertMethodGuard,
    assertInterfaceGuard,
    // heap stores
    makeScalarMapStore,
    makeScalarSetStore,
    makeScalarWeakMapStore,
    makeScalarWeakSetStore,
    makeCurrentKeysKit,
    provideLazy,
    makeAtomicProvider,
    appendToStoredArray,
    // exos
    GET_INTERFACE_GUARD,
    initEmpty,
    makeExo,
    defineExoClass,
    defineExoClassKit,
    defendPrototype,
    defendPrototypeKit,
    makeInstance,
    getInterfaceGuard,
    // SES-worded errors, for layers built on this one
    q,
    b,
    Fail,
  });
})
