import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { z } from 'zod';
import { parseWith } from '../../common/json-payload.js';
import { roomIdSchema } from '../../common/room-id.js';
import type { Logger } from '../../common/logger.js';
import { closeQueue, closeWorker } from '../../common/close-worker.js';
import type { RoomRepository } from './room-repository.js';

const QUEUE = 'room-archive';
const jobIdFor = (roomId: string) => `archive-${roomId}`;
/** Job data lives in Redis: read back through its schema like any other stored payload. */
const archiveJobSchema = z.object({ roomId: roomIdSchema });
type ArchiveJob = z.infer<typeof archiveJobSchema>;

/**
 * `ended → archived` after LEVELCHAT_ARCHIVE_AFTER_S, as a BullMQ delayed job held in Redis: an idle
 * room costs no timer in any process, and the job survives restarts.
 */
export class RoomArchiver {
  private readonly queue: Queue<ArchiveJob>;
  private worker: Worker<ArchiveJob> | undefined;

  constructor(
    private readonly connection: ConnectionOptions,
    private readonly rooms: RoomRepository,
    private readonly archiveAfterS: number,
    private readonly logger: Logger,
  ) {
    this.queue = new Queue(QUEUE, { connection });
    // A queue's connection errors (Redis restarting, or closing at shutdown) are logged, never thrown.
    this.queue.on('error', (err) => this.logger.warn({ err: err.message }, 'archive queue error'));
  }

  async schedule(roomId: string): Promise<void> {
    await this.queue.add(
      'archive',
      { roomId } satisfies ArchiveJob,
      { jobId: jobIdFor(roomId), delay: this.archiveAfterS * 1000, removeOnComplete: true, removeOnFail: 1000, attempts: 10, backoff: { type: 'exponential', delay: 1000 } },
    );
  }

  /** A room that became active again is not archived. */
  async cancel(roomId: string): Promise<void> {
    await this.queue.remove(jobIdFor(roomId));
  }

  startWorker(): void {
    this.worker = new Worker<ArchiveJob>(
      QUEUE,
      async (job) => {
        const { roomId } = parseWith(archiveJobSchema, job.data, 'archive job');
        const result = await this.rooms.act(roomId, 'archive');
        if ('error' in result) {
          // Re-activated or gone since the job was scheduled: nothing to archive.
          this.logger.info({ room_id: roomId, reason: result.error }, 'archive skipped');
          return;
        }
        this.logger.info({ room_id: roomId }, 'room archived');
      },
      { connection: this.connection, concurrency: 4 },
    );
    this.worker.on('error', (err) => this.logger.warn({ err: err.message }, 'archive worker error'));
  }

  async close(): Promise<void> {
    if (this.worker) await closeWorker(this.worker);
    await closeQueue(this.queue);
  }
}
