export const LIB_MARKER = 'lib-marker';

export function double(n) {
  return n * 2;
}

export async function* counter() {
  yield 1;
  yield 2;
  yield LIB_MARKER.length;
}
