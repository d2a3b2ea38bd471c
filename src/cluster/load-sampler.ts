import type { types } from 'mediasoup';
import type { WorkerPool } from '../sfu/worker-pool.js';
import type { NodeLoad } from './node-registry.js';

/**
 * Samples this node's load for its heartbeat: worker CPU since the previous sample (from each
 * worker's rusage), consumers as the pool balances them, and the number of live rooms.
 */
export class LoadSampler {
  private previous = new Map<types.Worker, { cpuMs: number; at: number }>();

  constructor(
    private readonly pool: WorkerPool,
    private readonly liveRooms: () => number,
  ) {}

  async sample(): Promise<NodeLoad> {
    const now = Date.now();
    const next = new Map<types.Worker, { cpuMs: number; at: number }>();
    let busy = 0;
    await Promise.all(
      this.pool.all.map(async (worker) => {
        const usage = await worker.getResourceUsage().catch(() => null);
        if (!usage) return;
        const cpuMs = usage.ru_utime + usage.ru_stime;
        next.set(worker, { cpuMs, at: now });
        const before = this.previous.get(worker);
        if (before && now > before.at) busy += Math.min(1, (cpuMs - before.cpuMs) / (now - before.at));
      }),
    );
    this.previous = next;
    const consumers = this.pool.all.reduce((sum, w) => sum + this.pool.loadOf(w), 0);
    return { cpu: this.pool.size ? busy / this.pool.size : 0, consumers, rooms: this.liveRooms() };
  }
}
