import { EventEmitter } from 'node:events';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import type { Logger } from '../../common/logger.js';

export class WorkerSpawnError extends Error {
  readonly code = 'worker_spawn_failed';
}

export interface WorkerPoolOptions {
  count: number;
  rtcMinPort: number;
  rtcMaxPort: number;
  logger: Logger;
}

interface WorkerPoolEvents {
  /** A worker died; its routers are gone. A replacement is being spawned. */
  'worker-died': [worker: types.Worker, error: Error];
  'worker-replaced': [dead: types.Worker, replacement: types.Worker];
}

interface WorkerSlot {
  index: number;
  rtcMinPort: number;
  rtcMaxPort: number;
}

const RESPAWN_DELAYS_MS = [0, 250, 1000, 3000, 10_000];

/**
 * The mediasoup workers of this node, one per core by default. Each worker gets its own slice of
 * the RTC port range so a worker restart never collides with a neighbour's ports.
 */
export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  private readonly workers: types.Worker[] = [];
  /** Consumers (and routers, weighted) per worker: what placement balances. */
  private readonly load = new Map<types.Worker, number>();
  private closed = false;

  private constructor(private readonly logger: Logger) {
    super();
  }

  static async create(options: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options.logger);
    const span = Math.floor((options.rtcMaxPort - options.rtcMinPort + 1) / options.count);
    if (span < 2) throw new WorkerSpawnError(`RTC port range too small for ${options.count} workers`);
    try {
      for (let i = 0; i < options.count; i += 1) {
        const rtcMinPort = options.rtcMinPort + i * span;
        const slot = { index: i, rtcMinPort, rtcMaxPort: rtcMinPort + span - 1 };
        pool.adopt(await spawn(slot), slot);
      }
    } catch (err) {
      pool.close();
      throw new WorkerSpawnError(`mediasoup worker failed to spawn (binary ${mediasoup.workerBin}): ${(err as Error).message}`);
    }
    return pool;
  }

  private adopt(worker: types.Worker, slot: WorkerSlot): void {
    this.workers.push(worker);
    this.load.set(worker, 0);
    worker.on('died', (error) => {
      const index = this.workers.indexOf(worker);
      if (index >= 0) this.workers.splice(index, 1);
      this.load.delete(worker);
      if (this.closed) return;
      this.logger.error({ pid: worker.pid, err: error.message }, 'mediasoup worker died');
      this.emit('worker-died', worker, error);
      void this.replace(worker, slot);
    });
  }

  /** Spawns a worker in the dead one's place (same port slice), retrying with backoff. */
  private async replace(dead: types.Worker, slot: WorkerSlot): Promise<void> {
    for (const delay of RESPAWN_DELAYS_MS) {
      if (delay) await new Promise((r) => setTimeout(r, delay));
      if (this.closed) return;
      try {
        const replacement = await spawn(slot);
        if (this.closed) {
          replacement.close();
          return;
        }
        this.adopt(replacement, slot);
        this.logger.warn({ dead_pid: dead.pid, pid: replacement.pid }, 'mediasoup worker replaced');
        this.emit('worker-replaced', dead, replacement);
        return;
      } catch (err) {
        this.logger.error({ err: (err as Error).message }, 'mediasoup worker respawn failed');
      }
    }
  }

  addLoad(worker: types.Worker, delta: number): void {
    if (this.load.has(worker)) this.load.set(worker, Math.max(0, this.load.get(worker)! + delta));
  }

  loadOf(worker: types.Worker): number {
    return this.load.get(worker) ?? 0;
  }

  /** The live worker with the least load, skipping `avoid` when another choice exists. */
  leastLoaded(avoid: ReadonlySet<types.Worker> = new Set()): types.Worker {
    if (this.workers.length === 0) throw new WorkerSpawnError('no mediasoup worker is running');
    const candidates = this.workers.filter((w) => !avoid.has(w));
    const pool = candidates.length ? candidates : this.workers;
    return pool.reduce((best, w) => (this.loadOf(w) < this.loadOf(best) ? w : best));
  }

  get size(): number {
    return this.workers.length;
  }

  get all(): readonly types.Worker[] {
    return this.workers;
  }

  /** Each live worker's pid, and whether it still answers. */
  async health(): Promise<{ pid: number; ok: boolean }[]> {
    return Promise.all(
      this.workers.map(async (w) => {
        try {
          await w.getResourceUsage();
          return { pid: w.pid, ok: true };
        } catch {
          return { pid: w.pid, ok: false };
        }
      }),
    );
  }

  close(): void {
    this.closed = true;
    for (const worker of this.workers.splice(0)) worker.close();
  }
}

function spawn(slot: WorkerSlot): Promise<types.Worker> {
  return mediasoup.createWorker({ logLevel: 'warn', rtcMinPort: slot.rtcMinPort, rtcMaxPort: slot.rtcMaxPort, appData: { index: slot.index } });
}
