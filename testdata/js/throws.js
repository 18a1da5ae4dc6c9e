export function buildRootObject() {
  throw Error('buildRootObject refuses');
}
