import { existsSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../common/compiled-entry.js';

export const MEDIASOUP_VERSION = '3.12.16';
/** The build recipe in the cached binary's name: keep in step with scripts/setup/mediasoup-worker.mjs. */
export const WORKER_RECIPE = 'srtp-openssl-ivonce-gcm128';

/**
 * mediasoup reads MEDIASOUP_WORKER_BIN once, when it is first imported. Point it at the worker the
 * set-up script built and cached, unless the operator chose another binary. Must run before any
 * module that imports mediasoup is loaded.
 */
export function useCachedMediasoupWorker(): void {
  if (process.env.MEDIASOUP_WORKER_BIN) return;
  const cached = path.join(projectRoot(), '.cache', `mediasoup-worker-${MEDIASOUP_VERSION}-${WORKER_RECIPE}`);
  if (existsSync(cached)) process.env.MEDIASOUP_WORKER_BIN = cached;
}
