import type { Redis } from 'ioredis';
import { z } from 'zod';
import { parseJsonWith } from '../../common/json-payload.js';
import type { Metrics } from '../../common/metrics.js';

export const deliveryAttemptSchema = z.object({
  event_id: z.string(),
  event_type: z.string(),
  room_id: z.string(),
  attempt: z.number().int(),
  status: z.enum(['delivered', 'retrying', 'dropped']),
  http_status: z.number().int().nullable(),
  error: z.string().nullable(),
  duration_ms: z.number(),
  at: z.string(),
});

export type DeliveryAttempt = z.infer<typeof deliveryAttemptSchema>;

const logKey = (webhookId: string) => `lc:webhook:${webhookId}:deliveries`;
const KEEP = 200;

/**
 * The recent delivery attempts of one webhook, newest first. Every attempt is recorded here once,
 * so this is also where attempts are counted for /metrics (outcome and duration).
 */
export class DeliveryLog {
  constructor(
    private readonly redis: Redis,
    private readonly metrics?: Pick<Metrics, 'webhookDeliveries' | 'webhookDeliveryLatency'>,
  ) {}

  async record(webhookId: string, attempt: DeliveryAttempt): Promise<void> {
    this.metrics?.webhookDeliveries.inc({ outcome: attempt.status });
    this.metrics?.webhookDeliveryLatency.observe(attempt.duration_ms / 1000);
    await this.redis.multi().lpush(logKey(webhookId), JSON.stringify(attempt)).ltrim(logKey(webhookId), 0, KEEP - 1).exec();
  }

  async recent(webhookId: string, limit: number): Promise<DeliveryAttempt[]> {
    return (await this.redis.lrange(logKey(webhookId), 0, limit - 1)).map((j) => parseJsonWith(deliveryAttemptSchema, j, `delivery attempt of webhook ${webhookId}`));
  }

  async clear(webhookId: string): Promise<void> {
    await this.redis.del(logKey(webhookId));
  }
}
