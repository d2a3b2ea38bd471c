import type { types } from 'mediasoup';
import type { WorkerPool } from '../sfu/worker-pool.js';

/** This node's routers by id, so a request from another node can name the origin router it wants. */
export class RouterDirectory {
  private readonly routers = new Map<string, types.Router>();

  /** Watches the pool's workers (and their replacements); create it before any room opens. */
  constructor(pool: WorkerPool) {
    for (const worker of pool.all) this.watch(worker);
    pool.on('worker-replaced', (_dead, replacement) => this.watch(replacement));
  }

  get(routerId: string): types.Router | undefined {
    return this.routers.get(routerId);
  }

  private watch(worker: types.Worker): void {
    worker.observer.on('newrouter', (router) => {
      this.routers.set(router.id, router);
      router.observer.once('close', () => this.routers.delete(router.id));
    });
  }
}
