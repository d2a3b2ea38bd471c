// The one set-up both README commands run: idempotent, and every finished step is skipped next time.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { ensureDebianPackages, RUNTIME_PACKAGES, WORKER_BUILD_PACKAGES, TEST_PACKAGES } from './debian-packages.mjs';
import { ensureMediasoupWorker, workerBinaryPath } from './mediasoup-worker.mjs';
import { ensureNodeModules } from './node-deps.mjs';
import { ensureBuild } from './build.mjs';
import { buildPlayers } from './players.mjs';
import { step, SetupError } from './progress.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Returns the environment the stack (or the tests) must run with. */
export async function setup({ forTests = false } = {}) {
  const packages = [...RUNTIME_PACKAGES, ...WORKER_BUILD_PACKAGES, ...(forTests ? TEST_PACKAGES : [])];
  await step('Debian packages', () => ensureDebianPackages(packages));
  await step('mediasoup worker', () => ensureMediasoupWorker(ROOT));
  // mediasoup's install script skips its download and build when this is set.
  const env = { ...process.env, MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN || workerBinaryPath(ROOT) };
  await step('npm dependencies', () => ensureNodeModules(ROOT, env));
  await step('TypeScript build', () => ensureBuild(ROOT));
  // The browser SDK and demo console (dist/players), served at /sdk/ and /.
  await step('players build', () => buildPlayers(ROOT));
  return env;
}

/** Runs `fn` and turns a set-up failure into a clear message and exit code 1. */
export async function orExit(fn) {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SetupError) {
      process.stderr.write(`\nsetup failed: ${err.message}\n${err.hint ? `${err.hint}\n` : ''}`);
      process.exit(1);
    }
    throw err;
  }
}
