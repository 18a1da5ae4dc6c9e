// A vat using the rest of @agoric/vat-data's durable API: prepareKind,
// the provideDurable*Store helpers, provide, snapshot() of big stores, and
// defineDurableExoClass(Kit) on kind handles it provides; upgraded to itself,
// it prepares the same kinds again and finds everything it kept.
import { Far } from '@endo/far';
import { M } from '@endo/patterns';
import {
  prepareKind,
  provide,
  provideDurableMapStore,
  provideDurableSetStore,
  provideDurableWeakMapStore,
  provideDurableWeakSetStore,
  provideKindHandle,
  defineDurableExoClass,
  defineDurableExoClassKit,
  makeScalarBigMapStore,
  makeScalarBigSetStore,
} from '@agoric/vat-data';
import { getCopyMapEntries, getCopySetKeys } from '@agoric/store';

export function buildRootObject(_vatPowers, _vatParameters, baggage) {
  const makePoint = prepareKind(baggage, 'Point', (x, y) => ({ x, y }), {
    sum: ({ state }) => state.x + state.y,
    move: ({ state }, dx) => {
      state.x += dx;
      return state.x;
    },
  });
  const makeTally = defineDurableExoClass(
    provideKindHandle(baggage, 'Tally'),
    M.interface('Tally', { add: M.call(M.number()).returns(M.number()) }),
    () => ({ total: 0 }),
    {
      add(n) {
        this.state.total += n;
        return this.state.total;
      },
    },
  );
  const makePair = defineDurableExoClassKit(provideKindHandle(baggage, 'Pair'), undefined, () => ({ n: 0 }), {
    up: {
      bump() {
        this.state.n += 1;
        return this.facets.down.read();
      },
    },
    down: {
      read() {
        return this.state.n;
      },
    },
  });
  const points = provideDurableMapStore(baggage, 'points');
  const tags = provideDurableSetStore(baggage, 'tags');
  const notes = provideDurableWeakMapStore(baggage, 'notes');
  const seen = provideDurableWeakSetStore(baggage, 'seen');
  const made = provide(baggage, 'made', () => harden({ tally: makeTally(), pair: makePair() }));
  let provideCalls = 0;
  provide(baggage, 'once', () => {
    provideCalls += 1;
    return 'first';
  });

  return Far('more', {
    bootstrap: () => 'ready',
    addPoint(name, x, y) {
      const p = makePoint(x, y);
      points.init(name, p);
      tags.add(name);
      notes.init(p, `note for ${name}`);
      seen.add(p);
      return p.sum();
    },
    move: (name, dx) => points.get(name).move(dx),
    describe(name) {
      const p = points.get(name);
      return harden({ sum: p.sum(), note: notes.get(p), seen: seen.has(p), tagged: tags.has(name) });
    },
    tally: n => made.tally.add(n),
    bump: () => made.pair.up.bump(),
    provideCalls: () => provideCalls,
    snapshots() {
      const m = makeScalarBigMapStore('m');
      m.init('b', 2);
      m.init('a', 1);
      const s = makeScalarBigSetStore('s');
      s.add('y');
      s.add('x');
      return harden({ map: [...getCopyMapEntries(m.snapshot())], set: [...getCopySetKeys(s.snapshot())], names: [...getCopySetKeys(tags.snapshot())] });
    },
  });
}
