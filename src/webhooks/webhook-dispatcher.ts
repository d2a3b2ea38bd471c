import { DelayedError, Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis, Result } from 'ioredis';
import { WEBHOOK_QUEUES_SET } from '../events/event-keys.js';
import type { DeliveryKick } from '../events/delivery-kick.js';
import { roomEventSchema, type RoomEvent } from '../events/room-event.js';
import type { Logger } from '../../common/logger.js';
import { parseJsonWith } from '../../common/json-payload.js';
import { closeQueue, closeWorker } from '../../common/close-worker.js';
import type { DeliveryLog } from './delivery-log.js';
import type { DestinationGuard } from './destination-guard.js';
import { SIGNATURE_HEADER, signWebhook } from './signature.js';
import { TenantSlots } from './tenant-slots.js';
import { postWebhook, type PostOutcome } from './webhook-post.js';
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

/**
 * How delivery is shared between tenants (a tenant is an API key tree). `concurrency` attempts run at
 * once per process; one tenant has at most `perTenant` of them in flight across the cluster, so a
 * tenant whose receivers hang holds `perTenant` slots for a timeout each and the rest stay free for
 * everyone else. A job of a tenant at its limit is parked (delayed, no attempt spent) and woken when
 * one of that tenant's attempts ends; `parkMs` only brings it back if that wake-up was lost.
 */
export interface DeliveryLimits {
  concurrency: number;
  perTenant: number;
  parkMs: number;
}

export const DEFAULT_DELIVERY_LIMITS: DeliveryLimits = { concurrency: 64, perTenant: 8, parkMs: 60_000 };

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
  private readonly slots: TenantSlots;

  constructor(
    private readonly redis: Redis,
    private readonly connection: ConnectionOptions,
    private readonly store: WebhookStore,
    private readonly log: DeliveryLog,
    private readonly logger: Logger,
    private readonly guard: DestinationGuard,
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly limits: DeliveryLimits = DEFAULT_DELIVERY_LIMITS,
  ) {
    // A slot outlives an attempt's deadline by a margin for the log write; then it is free again.
    const leaseMs = policy.timeoutMs + 15_000;
    this.slots = new TenantSlots(redis, { limit: limits.perTenant, leaseMs, parkedTtlMs: limits.parkMs + leaseMs });
    this.queue = new Queue(QUEUE, { connection });
    this.queue.on('error', (err) => this.logger.warn({ err: err.message }, 'webhook queue error'));
    redis.defineCommand('lcWebhookPop', { numberOfKeys: 2, lua: POP_HEAD_LUA });
  }

  /**
   * One round trip for the heads and one for the jobs, whatever the number of queues: a room event
   * fills one queue per webhook of its owner, and the request that caused it waits for this.
   */
  async queuesFilled(queues: string[]): Promise<void> {
    for (let i = 0; i < queues.length; i += 500) {
      const batch = queues.slice(i, i + 500);
      const heads = await batch.reduce((p, queue) => p.lindex(queue, 0), this.redis.pipeline()).exec();
      const jobs = batch.flatMap((queue, j) => {
        const head = heads?.[j]?.[1];
        return typeof head === 'string' ? [this.jobFor(queue, parseQueued(head, queue).id)] : [];
      });
      if (jobs.length > 0) await this.queue.addBulk(jobs);
    }
  }

  /** Starts a job for the head of every pending queue (after a restart). Idempotent. */
  async resume(): Promise<void> {
    await this.queuesFilled(await this.redis.smembers(WEBHOOK_QUEUES_SET));
  }

  startWorker(): void {
    this.worker = new Worker<DeliveryJob>(QUEUE, (job, token) => this.process(job, token), {
      connection: this.connection,
      concurrency: this.limits.concurrency,
      settings: { backoffStrategy: (attemptsMade: number) => retryDelayMs(this.policy, attemptsMade) },
    });
    this.worker.on('error', (err) => this.logger.warn({ err: err.message }, 'webhook worker error'));
  }

  async close(): Promise<void> {
    if (this.worker) await closeWorker(this.worker);
    await closeQueue(this.queue);
  }

  private async enqueue(queue: string, eventId: string): Promise<void> {
    await this.queue.addBulk([this.jobFor(queue, eventId)]);
  }

  private jobFor(queue: string, eventId: string) {
    const webhookId = queue.split(':')[3]!;
    return {
      name: 'deliver',
      data: { queue, eventId },
      opts: {
        // One job per (webhook, event): adding it twice (a resume racing a live job) is a no-op.
        jobId: `d-${webhookId}-${eventId}`,
        attempts: this.policy.attempts,
        backoff: { type: 'custom' as const },
        removeOnComplete: true,
        removeOnFail: true,
      },
    };
  }

  private async process(job: Job<DeliveryJob>, token: string | undefined): Promise<void> {
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
    const jobId = job.id!;
    if (!(await this.slots.acquire(webhook.tenant, jobId))) {
      // The tenant has its share in flight: park without spending an attempt until one of its ends.
      await job.moveToDelayed(Date.now() + this.limits.parkMs, token);
      throw new DelayedError();
    }
    const attempt = job.attemptsMade + 1;
    let outcome: PostOutcome;
    try {
      const headers = {
        'Content-Type': 'application/json',
        'User-Agent': 'LevelChat-Webhooks/1',
        [SIGNATURE_HEADER]: signWebhook(webhook.secret, head, Math.floor(Date.now() / 1000)),
      };
      outcome = await postWebhook(this.guard, webhook.url, headers, head, this.policy.timeoutMs);
    } finally {
      const next = await this.slots.release(webhook.tenant, jobId);
      if (next) this.wake(webhook.tenant, next).catch((err: Error) => this.logger.warn({ err: err.message }, 'waking a parked webhook delivery failed'));
    }
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

  /**
   * Starts the parked job a finished attempt handed its slot to. The job may still be on its way to
   * delayed (parking is two steps), so a job seen active is looked at again briefly; a job that is
   * gone passes the slot on to the next parked one.
   */
  private async wake(tenant: string, first: string): Promise<void> {
    let jobId: string | null = first;
    for (let hop = 0; jobId && hop < 8; hop += 1) {
      let state = await this.queue.getJobState(jobId);
      for (let look = 0; state === 'active' && look < 10; look += 1) {
        await new Promise((r) => setTimeout(r, 20));
        state = await this.queue.getJobState(jobId);
      }
      if (state === 'delayed') {
        await (await this.queue.getJob(jobId))?.promote().catch(() => undefined);
        return;
      }
      // Waiting or running: it will use the slot it holds.
      if (state === 'waiting' || state === 'prioritized' || state === 'active') return;
      jobId = await this.slots.release(tenant, jobId);
    }
  }
}

/** An event waiting in a delivery queue; we queued it, so one that does not parse is an error. */
function parseQueued(json: string, queue: string): RoomEvent {
  return parseJsonWith(roomEventSchema, json, `event queued in ${queue}`);
}
