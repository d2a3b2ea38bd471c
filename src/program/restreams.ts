import type { Logger } from '../../common/logger.js';
import { dialDestination } from './restream-destination.js';
import { RestreamRunner, type RestreamRunnerDeps } from './restream-runner.js';
import type { RestreamState, StoredRestream } from './restream-store.js';

/** A lease lapses this long after its node stopped renewing it (the node died): another node takes the restream. */
const LEASE_MS = 6000;
const SWEEP_MS = 2000;

/** A restream as the API shows it. */
export type RestreamView = Omit<StoredRestream, 'owner'> & Omit<RestreamState, 'since'> & { state_since: string };

/**
 * The restreams of the cluster as one node takes part in them: every few seconds it takes the lease
 * of restreams nobody pushes (any node may push any room's program: it reads the room's LL-HLS) and
 * renews its own, stopping those deleted. Also what the REST API asks of restreams.
 */
export class Restreams {
  readonly #runners = new Map<string, RestreamRunner>();
  readonly #timer: NodeJS.Timeout;
  #closed = false;
  /** Sweeps run one after another: two at once could both start a runner for one restream. */
  #sweeping: Promise<void> = Promise.resolve();

  constructor(private readonly deps: RestreamRunnerDeps & { logger: Logger }) {
    this.#timer = setInterval(() => void this.#sweep(), SWEEP_MS);
    this.#timer.unref();
  }

  /** Checks the destination (public addresses only, as webhooks) and adds the restream. */
  async create(owner: string, roomId: string, url: string): Promise<RestreamView> {
    await dialDestination(url, this.deps.guard);
    const restream = await this.deps.store.create(owner, roomId, url);
    void this.#sweep();
    return this.#view(restream);
  }

  async list(owner: string, roomId: string): Promise<RestreamView[]> {
    return Promise.all((await this.deps.store.list(owner, roomId)).map((r) => this.#view(r)));
  }

  async get(owner: string, roomId: string, id: string): Promise<RestreamView | undefined> {
    const r = await this.deps.store.get(owner, roomId, id);
    return r && this.#view(r);
  }

  async delete(owner: string, roomId: string, id: string): Promise<boolean> {
    if (!(await this.deps.store.delete(owner, roomId, id))) return false;
    await this.#stop(id);
    return true;
  }

  /** Stops this node's pushes (another node takes them once their leases lapse). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await Promise.all([...this.#runners.keys()].map((id) => this.#stop(id)));
  }

  #sweep(): Promise<void> {
    this.#sweeping = this.#sweeping.then(() => this.#sweepOnce()).catch((err: Error) => this.deps.logger.warn({ err: err.message }, 'restream sweep failed'));
    return this.#sweeping;
  }

  async #sweepOnce(): Promise<void> {
    if (this.#closed) return;
    const { store, nodeId } = this.deps;
    for (const id of await store.allIds()) {
      const lease = await store.lease(id, nodeId, LEASE_MS);
      const running = this.#runners.has(id);
      if (lease !== 'ok') {
        if (running) await this.#stop(id);
        continue;
      }
      if (running || this.#closed) continue;
      const restream = await store.find(id);
      if (restream) this.#runners.set(id, new RestreamRunner(restream, this.deps));
    }
  }

  async #stop(id: string): Promise<void> {
    const runner = this.#runners.get(id);
    if (!runner) return;
    this.#runners.delete(id);
    await runner.stop();
    await this.deps.store.release(id, this.deps.nodeId).catch(() => {});
  }

  async #view(r: StoredRestream): Promise<RestreamView> {
    const { since, ...state } = await this.deps.store.state(r.id);
    return { id: r.id, room_id: r.room_id, url: r.url, created_at: r.created_at, ...state, state_since: since };
  }
}
