import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis, Result } from 'ioredis';
import { WEBHOOK_QUEUES_SET } from '../events/event-keys.js';
import type { DeliveryKick } from '../events/delivery-kick.js';
import { roomEventSchema, type RoomEvent } from '../events/room-event.js';
import type { Logger } from '../../common/logger.js';
import { parseJsonWith } from '../../common/json-payload.js';
import { closeQueue, closeWorker } from '../../common/close-worker.js';
import type { DeliveryLog } from './delivery-log.js';
import { SIGNATURE_HEADER, signWebhook } from './signature.js';
import type { WebhookStore } from './webhook-store.js';

const QUEUE = 'webhook-delivery';

export interface RetryPolicy {
  /** Attempts per event before it is dropped. The defaults retry for a little over 24 hours. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 36, baseDelayMs: 1000, maxDelayMs: 3_600_000, timeoutMs: 10_000 };

/** Delay before retry number `attempt` (1-based): doubling from the base, capped. */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
}

interface DeliveryJob {
  queue: string;
  eventId: string;
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    lcWebhookPop(queue: string, set: string, eventId: string): Result<string | null, Context>;
  }
}

// Removes the delivered head (only if it is still that event) and returns the next head, if any.
const POP_HEAD_LUA = `
local head = redis.call('LINDEX', KEYS[1], 0)
if head and cjson.decode(head).id == ARGV[1] then redis.call('LPOP', KEYS[1]) end
local next_head = redis.call('LINDEX', KEYS[1], 0)
if not next_head then redis.call('SREM', KEYS[2], KEYS[1]) end
return next_head
`;

/**
 * Delivers room events to webhooks, in order per (webhook, room), with the same event id on every
 * retry. Each (webhook, room) pair has a Redis list of pending events; exactly one BullMQ job exists
 * for its head. The job retries with backoff until the receiver answers 2xx (or attempts run out),
 * then pops the head and starts the job for the next one. Events are queued atomically with the
 * change that caused them, so none is lost across crashes; `resume()` restarts pending queues.
 */
export class WebhookDispatcher implements DeliveryKick {
  private readonly queue: Queue<DeliveryJob>;
  private worker: Worker<DeliveryJob> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly connection: ConnectionOptions,
    private readonly store: WebhookStore,
    private readonly log: DeliveryLog,
    private readonly logger: Logger,
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  ) {
    this.queue = new Queue(QUEUE, { connection });
    this.queue.on('error', (err) => this.logger.warn({ err: err.message }, 'webhook queue error'));
    redis.defineCommand('lcWebhookPop', { numberOfKeys: 2, lua: POP_HEAD_LUA });
  }

  async queuesFilled(queues: string[]): Promise<void> {
    for (const queue of queues) {
      const head = await this.redis.lindex(queue, 0);
      if (head) await this.enqueue(queue, parseQueued(head, queue).id);
    }
  }

  /** Starts a job for the head of every pending queue (after a restart). Idempotent. */
  async resume(): Promise<void> {
    await this.queuesFilled(await this.redis.smembers(WEBHOOK_QUEUES_SET));
  }

  startWorker(concurrency = 16): void {
    this.worker = new Worker<DeliveryJob>(QUEUE, (job) => this.process(job), {
      connection: this.connection,
      concurrency,
      settings: { backoffStrategy: (attemptsMade: number) => retryDelayMs(this.policy, attemptsMade) },
    });
    this.worker.on('error', (err) => this.logger.warn({ err: err.message }, 'webhook worker error'));
  }

  async close(): Promise<void> {
    if (this.worker) await closeWorker(this.worker);
    await closeQueue(this.queue);
  }

  private async enqueue(queue: string, eventId: string): Promise<void> {
    const webhookId = queue.split(':')[3]!;
    await this.queue.add(
      'deliver',
      { queue, eventId },
      {
        // One job per (webhook, event): adding it twice (a resume racing a live job) is a no-op.
        jobId: `d-${webhookId}-${eventId}`,
        attempts: this.policy.attempts,
        backoff: { type: 'custom' },
        removeOnComplete: true,
        removeOnFail: true,
      },
    );
  }

  private async process(job: Job<DeliveryJob>): Promise<void> {
    const { queue, eventId } = job.data;
    const head = await this.redis.lindex(queue, 0);
    if (!head) return;
    const event = parseQueued(head, queue);
    if (event.id !== eventId) return;
    const webhookId = queue.split(':')[3]!;
    const webhook = await this.store.find(webhookId);
    if (!webhook) {
      await this.redis.multi().del(queue).srem(WEBHOOK_QUEUES_SET, queue).exec();
      return;
    }
    const attempt = job.attemptsMade + 1;
    const outcome = await this.post(webhook.url, webhook.secret, head);
    const final = attempt >= this.policy.attempts;
    const status = outcome.ok ? 'delivered' : final ? 'dropped' : 'retrying';
    await this.log.record(webhookId, {
      event_id: event.id,
      event_type: event.type,
      room_id: event.room_id,
      attempt,
      status,
      http_status: outcome.httpStatus,
      error: outcome.error,
      duration_ms: outcome.durationMs,
      at: new Date().toISOString(),
    });
    if (!outcome.ok && !final) throw new Error(outcome.error ?? `receiver answered ${outcome.httpStatus}`);
    if (!outcome.ok) this.logger.warn({ webhook_id: webhookId, event_id: event.id, room_id: event.room_id }, 'webhook event dropped after the last attempt');
    const next = await this.redis.lcWebhookPop(queue, WEBHOOK_QUEUES_SET, eventId);
    if (next) await this.enqueue(queue, parseQueued(next, queue).id);
  }

  private async post(url: string, secret: string, body: string): Promise<{ ok: boolean; httpStatus: number | null; error: string | null; durationMs: number }> {
    const started = Date.now();
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'LevelChat-Webhooks/1',
          [SIGNATURE_HEADER]: signWebhook(secret, body, Math.floor(Date.now() / 1000)),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.policy.timeoutMs),
      });
      await res.body?.cancel();
      const ok = res.status >= 200 && res.status < 300;
      return { ok, httpStatus: res.status, error: ok ? null : `HTTP ${res.status}`, durationMs: Date.now() - started };
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return { ok: false, httpStatus: null, error: cause ?? (err as Error).name, durationMs: Date.now() - started };
    }
  }
}

/** An event waiting in a delivery queue; we queued it, so one that does not parse is an error. */
function parseQueued(json: string, queue: string): RoomEvent {
  return parseJsonWith(roomEventSchema, json, `event queued in ${queue}`);
}
