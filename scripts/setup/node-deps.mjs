import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './run.mjs';
import { say } from './progress.mjs';

function lockHash(root) {
  const hash = createHash('sha256');
  for (const file of ['package.json', 'package-lock.json']) hash.update(readFileSync(join(root, file)));
  return hash.digest('hex');
}

/** Runs `npm ci` when node_modules is missing or was installed from another lock file. */
export async function ensureNodeModules(root, env) {
  const stamp = join(root, 'node_modules', '.levelchat-lock-hash');
  const wanted = lockHash(root);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) return 'node_modules up to date';
  const t0 = Date.now();
  const timer = setInterval(() => say(`npm ci: still installing (${Math.round((Date.now() - t0) / 1000)}s)`), 10000);
  try {
    await run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, env });
  } finally {
    clearInterval(timer);
  }
  writeFileSync(stamp, wanted);
  return 'installed with npm ci';
}
