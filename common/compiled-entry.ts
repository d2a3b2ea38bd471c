import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root: the nearest folder above this file holding package.json. */
export function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

/**
 * The compiled JavaScript of a child-process entry point, e.g. `storage/embedded-s3/server`.
 * Child processes always run the build in dist/, also when the parent runs from sources (vitest).
 */
export function compiledEntry(fromRoot: string): string {
  const file = path.join(projectRoot(), 'dist', `${fromRoot}.js`);
  if (!existsSync(file)) throw new Error(`${file} is missing: run the build (npm start/npm test do it)`);
  return file;
}
