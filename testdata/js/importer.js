// Bundles fine, but imports a module no vat may have: creation must fail.
import { spawn } from 'child_process';

export function buildRootObject() {
  return { spawn };
}
