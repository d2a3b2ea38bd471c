import type { Redis, Result } from 'ioredis';
import type { Logger } from '../../common/logger.js';

/**
 * Deleted keys whose rooms and webhooks are not all stopped yet: a sorted set, each key scored with
 * the time (ms) its current retirement lease ends. The key store adds a key in the same Redis step as
 * its deletion, with a lease for the request that deletes it.
 */
export const RETIRING_KEYS = 'lc:apikeys:retiring';
/** How long a retirement may go unheard of before another node takes it over. */
const RETIREMENT_LEASE_MS = 60_000;
/** When a lease taken (or renewed) at `now` ends: the score a retiring key gets. */
export const retirementLeaseEnd = (now = Date.now()) => now + RETIREMENT_LEASE_MS;
/** How often every node looks for retirements whose lease lapsed. */
export const RETIREMENT_SWEEP_MS = 30_000;
/** At most this many keys per sweep (a cascade deletes at most a tree, 100 keys). */
const SWEEP_BATCH = 100;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    lcRetirementClaim(retiring: string, now: number, until: number, batch: number): Result<string[], Context>;
  }
}

// Takes the retirements whose lease lapsed: each gets a new lease, so no other node takes it too.
const CLAIM_LUA = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return due
`;

/**
 * What a deleted key made stops with it: its rooms that are not over end, its webhooks go (`finish`,
 * wired by the control plane). A key leaves RETIRING_KEYS only once `finish` has run for it; whoever
 * is on it renews its lease meanwhile. The DELETE request retires its keys at once; every node also
 * sweeps every RETIREMENT_SWEEP_MS (and when it starts) for keys whose lease lapsed, so a deletion
 * whose process died half way (or whose Redis blinked) is finished by another within about a minute
 * and a half, and a long retirement (a key with very many rooms) is not done twice meanwhile.
 * `finish` must be idempotent all the same: a node may lose its lease while still on it.
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
    redis.defineCommand('lcRetirementClaim', { numberOfKeys: 1, lua: CLAIM_LUA });
  }

  /**
   * Finishes each key and takes it off the set; returns how many are finished. Never throws: a key
   * that could not be finished now stays in the set, and another sweep takes it once its lease lapses.
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
    // Renewed while `finish` runs; XX: never puts back a key another node has finished meanwhile.
    const renew = setInterval(() => {
      this.#redis.zadd(RETIRING_KEYS, 'XX', retirementLeaseEnd(), keyId).catch(() => {});
    }, RETIREMENT_LEASE_MS / 3).unref();
    try {
      await this.#finish(keyId);
      await this.#redis.zrem(RETIRING_KEYS, keyId);
      return true;
    } catch (err) {
      this.#logger.warn({ err: (err as Error).message, key_id: keyId }, 'deleted key: its rooms and webhooks are left for a later sweep');
      return false;
    } finally {
      clearInterval(renew);
    }
  }

  /**
   * Claims the keys whose lease lapsed, once the sweep under way (if any) is over, and retires them;
   * returns how many it finished. Sweeps run one at a time per process.
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
    const now = Date.now();
    const claimed = await this.#redis.lcRetirementClaim(RETIRING_KEYS, now, retirementLeaseEnd(now), SWEEP_BATCH);
    if (claimed.length === 0) return 0;
    this.#logger.info({ keys: claimed.length }, 'finishing deleted keys left unfinished: ending their rooms, deleting their webhooks');
    return this.retire(claimed);
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
