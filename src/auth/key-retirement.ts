import type { Redis } from 'ioredis';
import type { Logger } from '../../common/logger.js';
import { RETIRING_KEYS } from './key-tree.js';

/** How often every node looks for deleted keys whose consequences nobody finished. */
export const RETIREMENT_SWEEP_MS = 30_000;

/**
 * What a deleted key made stops with it: its rooms that are not over end, its webhooks go (`finish`,
 * wired by the control plane). The key store adds every key it deletes to RETIRING_KEYS in the same
 * Redis step as the deletion; a key leaves the set only once `finish` has run for it. The DELETE request
 * retires its keys at once; every node also sweeps the set when it starts and every RETIREMENT_SWEEP_MS,
 * so a deletion whose process died half way (or whose Redis blinked) is finished by whoever comes next.
 * `finish` must be idempotent: two nodes may retire the same key.
 */
export class KeyRetirement {
  readonly #redis: Redis;
  readonly #finish: (keyId: string) => Promise<void>;
  readonly #logger: Logger;
  /** Keys this process is retiring now: a second call waits for the one already on it. */
  readonly #inFlight = new Map<string, Promise<boolean>>();
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<number> | undefined;

  constructor(redis: Redis, finish: (keyId: string) => Promise<void>, logger: Logger) {
    this.#redis = redis;
    this.#finish = finish;
    this.#logger = logger;
  }

  /**
   * Finishes each key and takes it off the set; returns how many are finished. Never throws: a key
   * that could not be finished now stays in the set for the next sweep (and says so in the log).
   */
  async retire(keyIds: readonly string[]): Promise<number> {
    let finished = 0;
    for (const keyId of keyIds) if (await this.#retireOne(keyId)) finished++;
    return finished;
  }

  #retireOne(keyId: string): Promise<boolean> {
    let running = this.#inFlight.get(keyId);
    if (!running) {
      running = this.#finishAndUnmark(keyId).finally(() => this.#inFlight.delete(keyId));
      this.#inFlight.set(keyId, running);
    }
    return running;
  }

  async #finishAndUnmark(keyId: string): Promise<boolean> {
    try {
      await this.#finish(keyId);
      await this.#redis.srem(RETIRING_KEYS, keyId);
      return true;
    } catch (err) {
      this.#logger.warn({ err: (err as Error).message, key_id: keyId }, 'deleted key: its rooms and webhooks are left for the next sweep');
      return false;
    }
  }

  /**
   * Retires every key in the set as it is once the sweep under way (if any) is over; returns how many
   * it finished. Sweeps run one at a time per process.
   */
  sweep(): Promise<number> {
    const next = (this.#sweeping ?? Promise.resolve(0)).catch(() => 0).then(() => this.#sweepOnce());
    this.#sweeping = next;
    void next.catch(() => {}).finally(() => {
      if (this.#sweeping === next) this.#sweeping = undefined;
    });
    return next;
  }

  async #sweepOnce(): Promise<number> {
    const pending = await this.#redis.smembers(RETIRING_KEYS);
    if (pending.length === 0) return 0;
    this.#logger.info({ keys: pending.length }, 'finishing deleted keys: ending their rooms, deleting their webhooks');
    return this.retire(pending);
  }

  /** Sweeps now and every `intervalMs` (skipping a turn while a sweep is still under way). */
  start(intervalMs = RETIREMENT_SWEEP_MS): void {
    const run = () => {
      if (this.#sweeping) return;
      this.sweep().catch((err: Error) => this.#logger.warn({ err: err.message }, 'deleted keys sweep failed'));
    };
    run();
    this.#timer = setInterval(run, intervalMs).unref();
  }

  /** Stops the timer and waits for a sweep under way. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#sweeping?.catch(() => {});
  }
}
