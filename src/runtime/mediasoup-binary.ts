import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { projectRoot } from '../../common/compiled-entry.js';

/** The set-up's names for what it builds under .cache/ (one home: scripts/setup/cache-names.json). */
const CacheNames = z.object({ openssl: z.string().min(1), libsrtp: z.string().min(1), worker: z.string().min(1) });

/** Where the set-up (`npm start` / `npm test`) caches `what`: the worker binary, or the OpenSSL and libsrtp2 prefixes it links. */
export function setupCachePath(what: keyof z.infer<typeof CacheNames>): string {
  const root = projectRoot();
  const names = CacheNames.parse(JSON.parse(readFileSync(path.join(root, 'scripts', 'setup', 'cache-names.json'), 'utf8')));
  return path.join(root, '.cache', names[what]);
}

/**
 * mediasoup reads MEDIASOUP_WORKER_BIN once, when it is first imported. Point it at the worker the
 * set-up script built and cached, unless the operator chose another binary. Must run before any
 * module that imports mediasoup is loaded.
 */
export function useCachedMediasoupWorker(): void {
  if (process.env.MEDIASOUP_WORKER_BIN) return;
  const cached = setupCachePath('worker');
  if (existsSync(cached)) process.env.MEDIASOUP_WORKER_BIN = cached;
}
