// Virtual objects of a kind defined with defineKind, handed out, held or
// not by the vat, and passed back in: what a vat sees of representatives
// (state shared between them, identity while one is held, weak
// collections keyed by them, virtual objects in virtual state and in
// collections).
import { Far } from '@endo/far';
import {
  defineKind,
  defineKindMulti,
  makeScalarBigMapStore,
  makeScalarBigWeakMapStore,
  makeScalarBigSetStore,
} from '@agoric/vat-data';

// Kinds are defined in buildRootObject: Cooper evaluates the bundle outside
// a delivery, where a module-level defineKind cannot reach the vatstore.
const defineKinds = () => {
const makeThing = defineKind(
  'thing',
  name => ({ name, renames: 0, friend: null }),
  {
    getName: ({ state }) => state.name,
    rename: ({ state }, newName) => {
      state.name = newName;
      state.renames += 1;
    },
    renames: ({ state }) => state.renames,
    befriend: ({ state }, other) => {
      state.friend = other;
    },
    friend: ({ state }) => state.friend,
    friendName: ({ state }) => state.friend.getName(),
    isSelf: ({ self }, other) => self === other,
    stateKeys: ({ state }) => Object.keys(state).sort(),
    setBad: ({ state }, which) => {
      const before = state.name;
      try {
        if (which === 'extra') state.extra = 1;
        if (which === 'function') state.name = () => 0;
        if (which === 'mutable') state.name = { x: 1 };
        if (which === 'promise') state.name = new Promise(() => {});
        if (which === 'delete') delete state.name;
        return 'no error';
      } catch (e) {
        return `${e.name}: ${e.message}`;
      } finally {
        if (which !== 'delete') state.name = before;
      }
    },
    copyIsStale: ({ state }) => {
      const friendBefore = state.friend;
      state.friend = null;
      const after = state.friend;
      state.friend = friendBefore;
      return [after === null, state.friend === friendBefore];
    },
  },
);

const makePair = defineKindMulti('pair', () => ({ count: 0 }), {
  left: {
    bump: ({ state }) => {
      state.count += 1;
      return state.count;
    },
    other: ({ facets }) => facets.right,
  },
  right: {
    count: ({ state }) => state.count,
    other: ({ facets }) => facets.left,
  },
});

return { makeThing, makePair };
};

export function buildRootObject() {
  const { makeThing, makePair } = defineKinds();
  let heldThing;
  const weak = new WeakMap();
  const weakSet = new WeakSet();
  const byThing = makeScalarBigMapStore('byThing');
  const weakByThing = makeScalarBigWeakMapStore('weakByThing');
  const things = makeScalarBigSetStore('things');
  let pair;

  return Far('root', {
    makeThing(name, hold) {
      const thing = makeThing(name);
      if (hold) {
        heldThing = thing;
      }
      return thing;
    },
    makeMany(n) {
      for (let i = 0; i < n; i += 1) {
        const t = makeThing(`many${i}`);
        things.add(t);
      }
      return things.getSize();
    },
    manyNames() {
      return [...things.keys()].map(t => t.getName());
    },
    readThing(what) {
      return what.getName();
    },
    readHeldThing() {
      if (!heldThing) throw Error('no held thing');
      return heldThing.getName();
    },
    writeThing(what, newName) {
      what.rename(newName);
    },
    writeHeldThing(newName) {
      if (!heldThing) throw Error('no held thing');
      heldThing.rename(newName);
    },
    holdThing(what) {
      heldThing = what;
    },
    forgetHeldThing() {
      heldThing = null;
    },
    isHeld(what) {
      return what === heldThing;
    },
    heldIsSelf() {
      return heldThing.isSelf(heldThing);
    },
    tag(what, label) {
      weak.set(what, label);
      weakSet.add(what);
      byThing.init(what, label);
      weakByThing.init(what, label);
    },
    readTag(what) {
      return [weak.get(what), weakSet.has(what), byThing.has(what) && byThing.get(what), weakByThing.has(what) && weakByThing.get(what)];
    },
    tagOfHeld() {
      return [weak.get(heldThing), byThing.get(heldThing)];
    },
    tagKeyIsSame(what) {
      const [k] = [...byThing.keys()].filter(x => x === what);
      return k === what;
    },
    tagNames() {
      return [...byThing.entries()].map(([k, v]) => `${k.getName()}=${v}`);
    },
    link(a, b) {
      a.befriend(b);
      return a.friend() === b;
    },
    friendOf(a) {
      return a.friendName();
    },
    friendIsHeld(a) {
      return a.friend() === heldThing;
    },
    makePair() {
      pair = makePair();
      return [pair.left.bump(), pair.right.count(), pair.left.other() === pair.right, pair.right.other() === pair.left];
    },
    pairLeft() {
      return pair.left;
    },
    pairRightCount() {
      return pair.right.count();
    },
    describe(what) {
      return `${what}`;
    },
    // whether the module code runs in strict mode, and whether hardened
    // objects refuse a new property
    strictProbe() {
      const strict = (function probe() {
        return this === undefined;
      })();
      const frozen = harden({ a: 1 });
      let threw = false;
      try {
        frozen.b = 2;
      } catch (e) {
        threw = true;
      }
      return [strict, Object.isFrozen(frozen), threw];
    },
    badInit() {
      const makeBad = defineKind('bad', () => 3, {});
      try {
        makeBad();
        return 'no error';
      } catch (e) {
        return `${e.name}: ${e.message}`;
      }
    },
  });
}
