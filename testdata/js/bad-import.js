import { Far } from '@endo/far';
import { readFileSync } from 'fs';
export function buildRootObject() {
  return Far('bad', { read: () => readFileSync('/etc/passwd') });
}
