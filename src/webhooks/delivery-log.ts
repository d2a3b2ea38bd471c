import type { Redis } from 'ioredis';

export interface DeliveryAttempt {
  event_id: string;
  event_type: string;
  room_id: string;
  attempt: number;
  status: 'delivered' | 'retrying' | 'dropped';
  http_status: number | null;
  error: string | null;
  duration_ms: number;
  at: string;
}

const logKey = (webhookId: string) => `lc:webhook:${webhookId}:deliveries`;
const KEEP = 200;

/** The recent delivery attempts of one webhook, newest first. */
export class DeliveryLog {
  constructor(private readonly redis: Redis) {}

  async record(webhookId: string, attempt: DeliveryAttempt): Promise<void> {
    await this.redis.multi().lpush(logKey(webhookId), JSON.stringify(attempt)).ltrim(logKey(webhookId), 0, KEEP - 1).exec();
  }

  async recent(webhookId: string, limit: number): Promise<DeliveryAttempt[]> {
    return (await this.redis.lrange(logKey(webhookId), 0, limit - 1)).map((j) => JSON.parse(j) as DeliveryAttempt);
  }

  async clear(webhookId: string): Promise<void> {
    await this.redis.del(logKey(webhookId));
  }
}
