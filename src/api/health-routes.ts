import { Router } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from '../../common/logger.js';
import { withTimeout } from '../../common/with-timeout.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { WorkerPool } from '../sfu/worker-pool.js';

export interface HealthDeps {
  redis: Redis;
  store: ObjectStore;
  /** Absent in a pipeline-only process (no SFU). */
  workers?: WorkerPool;
  /** Where the reason a part is down goes; /readyz itself is public and says only that it is. */
  logger: Logger;
}

type Check = { ok: true; [detail: string]: unknown } | { ok: false; error: 'unavailable' };

const CHECK_TIMEOUT_MS = 2000;

async function check(part: string, logger: Logger, fn: () => Promise<Record<string, unknown> | void>): Promise<Check> {
  try {
    const detail = await withTimeout(fn(), CHECK_TIMEOUT_MS, part);
    return { ok: true, ...(detail ?? {}) };
  } catch (err) {
    logger.warn({ part, err: (err as Error).message }, 'readiness check failed');
    return { ok: false, error: 'unavailable' };
  }
}

/** `/healthz`: the process is up. `/readyz`: every part it depends on answers. */
export function healthRoutes({ redis, store, workers, logger }: HealthDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  router.get('/readyz', async (_req, res) => {
    const [redisCheck, storageCheck, workersCheck] = await Promise.all([
      check('redis', logger, async () => {
        await redis.ping();
      }),
      check('storage', logger, () => store.check()),
      workers
        ? check('workers', logger, async () => {
            const health = await workers.health();
            if (health.length === 0) throw new Error('no mediasoup worker is running');
            const down = health.filter((w) => !w.ok);
            if (down.length) throw new Error(`${down.length} of ${health.length} workers do not answer`);
            return { count: health.length };
          })
        : undefined,
    ]);
    const ok = redisCheck.ok && storageCheck.ok && (workersCheck?.ok ?? true);
    res.status(ok ? 200 : 503).json({ ok, redis: redisCheck, storage: storageCheck, ...(workersCheck ? { workers: workersCheck } : {}) });
  });
  return router;
}
