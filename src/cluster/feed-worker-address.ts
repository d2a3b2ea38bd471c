import type { Redis } from 'ioredis';
import type { Logger } from '../../common/logger.js';
import { z } from 'zod';
import { parseWith } from '../../common/json-payload.js';

const keyOf = (workerId: string) => `cluster:feed-worker:${workerId}`;
const TTL_MS = 6000;
const INTERVAL_MS = 2000;
const addressSchema = z.union([z.ipv4(), z.ipv6()]);

/**
 * Where a pipeline worker's ffmpegs listen, kept alive in Redis while it runs. Pipeline workers are
 * not in the node registry (placement must never pick them), but a node sends them media: it checks
 * the address a feed request names against this entry, as pipes check the node registry.
 */
export class FeedWorkerAddress {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly workerId: string,
    private readonly address: string,
    private readonly logger: Logger,
  ) {}

  /** The registered address of `workerId`, or undefined when no such worker is alive. */
  static async of(redis: Redis, workerId: string): Promise<string | undefined> {
    const value = await redis.get(keyOf(workerId));
    return value === null ? undefined : parseWith(addressSchema, value, `feed worker address of ${workerId}`);
  }

  async start(): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh().catch((err: Error) => this.logger.warn({ err: err.message }, 'feed worker address refresh failed')), INTERVAL_MS);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.redis.del(keyOf(this.workerId));
  }

  private async refresh(): Promise<void> {
    await this.redis.set(keyOf(this.workerId), this.address, 'PX', TTL_MS);
  }
}
