// Where each thing the set-up builds lives under .cache/: the names are in cache-names.json, shared with
// the runtime and the benches, which cannot import this file from dist/.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const NAMES = JSON.parse(readFileSync(new URL('./cache-names.json', import.meta.url), 'utf8'));

/** `.cache/<name>` for `what`: 'openssl' | 'libsrtp' | 'worker'. */
export function cachePath(root, what) {
  const name = NAMES[what];
  if (typeof name !== 'string') throw new Error(`cache-names.json names no ${what}`);
  return join(root, '.cache', name);
}
