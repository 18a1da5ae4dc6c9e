// An upgrade that fails: buildRootObject throws after touching the baggage.
export function buildRootObject(vatPowers, vatParameters, baggage) {
  baggage.set('count', -1);
  throw Error('cannot start');
}
