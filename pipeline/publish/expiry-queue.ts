import { Queue, UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from '../../common/logger.js';
import { closeQueue, closeWorker } from '../../common/close-worker.js';
import { parseWith } from '../../common/json-payload.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { expiredKeys, expiryBatchSchema, type ExpiryBatch } from './object-expiry.js';

/** Where a publisher hands the deletions its ExpiryPlan makes (ExpiryQueue in a node). */
export interface ExpiryScheduler {
  schedule(batch: ExpiryBatch): Promise<void>;
}

const QUEUE = 'hls-expiry';
/** A batch whose deletion keeps failing is tried again for about an hour (storage down), then kept for inspection. */
const ATTEMPTS = 12;

/** A job's data as stored in Redis; one that does not fit is never retried. */
function readBatch(data: unknown): ExpiryBatch {
  try {
    return parseWith(expiryBatchSchema, data, 'HLS expiry job');
  } catch (err) {
    throw new UnrecoverableError((err as Error).message);
  }
}

/**
 * Deletes the live playlists' expired objects: each ExpiryBatch is a delayed BullMQ job (due at its
 * `dueAt`), so a deletion outlives the run and the process that planned it, and any node's worker
 * carries it out with one multi-object DELETE, retried with backoff while storage fails. Nothing
 * here runs on a publisher's path: scheduling is one Redis write per batch.
 */
export class ExpiryQueue implements ExpiryScheduler {
  private readonly queue: Queue<ExpiryBatch>;
  private worker: Worker<ExpiryBatch> | undefined;

  constructor(private readonly deps: { connection: ConnectionOptions; store: Pick<ObjectStore, 'removeMany'>; logger: Logger }) {
    this.queue = new Queue(QUEUE, { connection: deps.connection });
    this.queue.on('error', (err) => deps.logger.warn({ err: err.message }, 'expiry queue error'));
  }

  async schedule(batch: ExpiryBatch): Promise<void> {
    const { prefix, segments, parts } = expiryBatchSchema.parse(batch);
    // Named after what it deletes: planning the same range twice (a run taken up again) queues it once.
    const what = [segments && `s${segments.from}-${segments.to}`, parts && `p${parts.from}-${parts.to}`].filter(Boolean).join('.');
    const jobId = `${encodeURIComponent(prefix)}.${what}`;
    await this.queue.add('expire', batch, {
      jobId,
      delay: Math.max(0, batch.dueAt - Date.now()),
      attempts: ATTEMPTS,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: true,
      removeOnFail: 1000,
    });
  }

  startWorker(): void {
    this.worker = new Worker<ExpiryBatch>(
      QUEUE,
      async (job) => {
        const batch = readBatch(job.data);
        const keys = expiredKeys(batch);
        await this.deps.store.removeMany(keys);
        this.deps.logger.debug({ prefix: batch.prefix, objects: keys.length }, 'expired live HLS objects deleted');
      },
      { connection: this.deps.connection, concurrency: 1 },
    );
    this.worker.on('failed', (job, err) => this.deps.logger.warn({ job: job?.id, attempts: job?.attemptsMade, err: err.message }, 'could not delete expired HLS objects'));
    this.worker.on('error', (err) => this.deps.logger.warn({ err: err.message }, 'expiry worker error'));
  }

  async close(): Promise<void> {
    if (this.worker) await closeWorker(this.worker);
    await closeQueue(this.queue);
  }
}
