// Bob counts the pings he gets and answers with the count.
import { Far } from '@endo/far';

export function buildRootObject() {
  let pings = 0;
  return Far('bob', {
    ping(_i) {
      pings += 1;
      return pings;
    },
    getCount() {
      return pings;
    },
  });
}
