import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './run.mjs';

const SOURCES = ['common', 'src', 'storage', 'pipeline', 'bench', 'sdk', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

/** The newest modification time of a file or of anything below a folder (0 when missing). */
export function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Compiles the TypeScript into dist/ when any source is newer than the last build. */
export async function ensureBuild(root) {
  const stamp = join(root, 'dist', '.build-stamp');
  const sourcesAt = Math.max(...SOURCES.map((s) => newestMtime(join(root, s))));
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= sourcesAt) return 'dist/ up to date';
  await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root });
  writeFileSync(stamp, new Date().toISOString());
  return 'compiled TypeScript into dist/';
}
