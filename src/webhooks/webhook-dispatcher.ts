import { randomBytes } from 'node:crypto';
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis, Result } from 'ioredis';
import { WEBHOOK_QUEUED_FIELD, WEBHOOK_QUEUES_SET, webhookHash } from '../events/event-keys.js';
import type { DeliveryKick } from '../events/delivery-kick.js';
import { roomEventSchema, type RoomEvent } from '../events/room-event.js';
import type { Logger } from '../../common/logger.js';
import { parseJsonWith } from '../../common/json-payload.js';
import { closeQueue, closeWorker } from '../../common/close-worker.js';
import type { DeliveryLog } from './delivery-log.js';
import type { DestinationGuard } from './destination-guard.js';
import { SIGNATURE_HEADER, signWebhook } from './signature.js';
import { TenantSlots, type ParkedEntry } from './tenant-slots.js';
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
 * once per process; one tenant has at most `perTenant` deliveries queued or in flight across the
 * cluster (TenantSlots), so a tenant whose receivers hang holds `perTenant` slots for a deadline
 * each, its backlog waits outside the queue, and the other slots and the queue stay everyone else's.
 */
export interface DeliveryLimits {
  concurrency: number;
  perTenant: number;
}

export const DEFAULT_DELIVERY_LIMITS: DeliveryLimits = { concurrency: 64, perTenant: 8 };

/** Delay before retry number `attempt` (1-based): doubling from the base, capped. */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
}

interface DeliveryJob {
  queue: string;
  eventId: string;
  /** Attempts made by earlier jobs for this delivery (it was parked between them). */
  prior?: number;
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    lcWebhookPop(queue: string, set: string, webhook: string, eventId: string): Result<string | null, Context>;
  }
}

// Removes the delivered head (only if it is still that event) and returns the next head, if any. The
// webhook's count of queued events goes down with it; never below 0 (queues filled before it was kept),
// and not on a deleted webhook (HINCRBY would bring its hash back).
const POP_HEAD_LUA = `
local head = redis.call('LINDEX', KEYS[1], 0)
if head and cjson.decode(head).id == ARGV[1] then
  redis.call('LPOP', KEYS[1])
  if tonumber(redis.call('HGET', KEYS[3], '${WEBHOOK_QUEUED_FIELD}') or '0') > 0 then redis.call('HINCRBY', KEYS[3], '${WEBHOOK_QUEUED_FIELD}', -1) end
end
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
    // A slot outlives an attempt's deadline by a margin for the queue wait and the log write; a
    // slot whose node died is free again after it.
    this.slots = new TenantSlots(redis, { limit: limits.perTenant, leaseMs: policy.timeoutMs + 20_000 });
    this.queue = new Queue(QUEUE, { connection });
    this.queue.on('error', (err) => this.logger.warn({ err: err.message }, 'webhook queue error'));
    redis.defineCommand('lcWebhookPop', { numberOfKeys: 3, lua: POP_HEAD_LUA });
  }

  /**
   * Queues a delivery for the head of each queue, through its tenant's slots. A few round trips
   * whatever the number of queues: a room event fills one queue per webhook of its owner, and the
   * request that caused it waits for this.
   */
  async queuesFilled(queues: string[]): Promise<void> {
    for (let i = 0; i < queues.length; i += 500) {
      const batch = queues.slice(i, i + 500);
      const [heads, tenants] = await Promise.all([
        batch.reduce((p, queue) => p.lindex(queue, 0), this.redis.pipeline()).exec(),
        this.store.tenantsOf(batch.map(webhookIdOf)),
      ]);
      // One event fills a queue per webhook of its owner: the same head, parsed once.
      const parsed = new Map<string, string>();
      const fresh = batch.flatMap((queue, j) => {
        const head = heads?.[j]?.[1];
        if (typeof head !== 'string') return [];
        const eventId = parsed.get(head) ?? parseQueued(head, queue).id;
        parsed.set(head, eventId);
        return [{ queue, eventId, tenant: tenants[j] }];
      });
      await this.admit(fresh);
    }
  }

  /**
   * Starts a job for the head of every pending queue (after a restart). Idempotent for heads that
   * wait (queued or parked); a head whose parked retry is under way may get one extra attempt.
   */
  async resume(): Promise<void> {
    await this.queuesFilled(await this.redis.smembers(WEBHOOK_QUEUES_SET));
  }

  startWorker(): void {
    this.worker = new Worker<DeliveryJob>(QUEUE, (job) => this.process(job), {
      connection: this.connection,
      concurrency: this.limits.concurrency,
      // Counted over the whole delivery: attempts of earlier jobs (it was parked between) included.
      settings: { backoffStrategy: (attemptsMade: number, _type?: string, _err?: Error, job?: { data: unknown }) => retryDelayMs(this.policy, ((job?.data as DeliveryJob | undefined)?.prior ?? 0) + attemptsMade) },
    });
    this.worker.on('error', (err) => this.logger.warn({ err: err.message }, 'webhook worker error'));
  }

  /** A tenant's attempts in flight and parked deliveries, and the delivery jobs of everyone (for benches). */
  async backlog(tenant: string): Promise<{ inFlight: number; parked: number; jobs: number }> {
    const [load, counts] = await Promise.all([this.slots.load(tenant), this.queue.getJobCounts('wait', 'prioritized', 'delayed', 'active')]);
    return { ...load, jobs: Object.values(counts).reduce((a, b) => a + b, 0) };
  }

  /** Delivery jobs in BullMQ, cluster-wide, by state (parked deliveries wait outside it): for /metrics. */
  async queueDepth(): Promise<{ waiting: number; delayed: number; active: number }> {
    const counts = await this.queue.getJobCounts('wait', 'prioritized', 'delayed', 'active');
    return { waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0), delayed: counts.delayed ?? 0, active: counts.active ?? 0 };
  }

  async close(): Promise<void> {
    if (this.worker) await closeWorker(this.worker);
    await closeQueue(this.queue);
  }

  /**
   * Queues jobs for new queue heads that get a slot of their tenant (the others are parked) and for
   * parked deliveries that were handed one. Heads of deleted webhooks (no tenant) are queued as
   * they are: their job clears the queue.
   */
  private async admit(heads: { queue: string; eventId: string; tenant: string | undefined }[]): Promise<void> {
    const jobs = heads.filter((h) => h.tenant === undefined).map((h) => this.jobFor(h.queue, h.eventId));
    const byTenant = new Map<string, { queue: string; eventId: string }[]>();
    for (const h of heads) if (h.tenant !== undefined) byTenant.set(h.tenant, [...(byTenant.get(h.tenant) ?? []), h]);
    for (const [tenant, list] of byTenant) {
      const deliveries = list.map((h) => {
        const jobId = freshJobId(h.queue, h.eventId);
        return { jobId, entry: { job: jobId, queue: h.queue, event: h.eventId, prior: 0 } };
      });
      const { taken, handed } = await this.slots.admit(tenant, deliveries);
      list.forEach((h, j) => {
        if (taken[j]) jobs.push(this.jobFor(h.queue, h.eventId));
      });
      jobs.push(...handed.map((e) => this.jobFor(e.queue, e.event, e.prior, e.job)));
    }
    if (jobs.length > 0) await this.queue.addBulk(jobs);
  }

  /** Queues the jobs of parked deliveries that were handed a slot. */
  private async queueHanded(handed: ParkedEntry[]): Promise<void> {
    if (handed.length > 0) await this.queue.addBulk(handed.map((e) => this.jobFor(e.queue, e.event, e.prior, e.job)));
  }

  private jobFor(queue: string, eventId: string, prior = 0, jobId = freshJobId(queue, eventId)) {
    return {
      name: 'deliver',
      data: { queue, eventId, prior },
      opts: {
        // One job per (webhook, event): adding it twice (a resume racing a live job) is a no-op.
        jobId,
        // The attempts left of the delivery's budget (a parked retry made some already).
        attempts: Math.max(1, this.policy.attempts - prior),
        backoff: { type: 'custom' as const },
        removeOnComplete: true,
        removeOnFail: true,
      },
    };
  }

  private async process(job: Job<DeliveryJob>): Promise<void> {
    const { queue, eventId } = job.data;
    const jobId = job.id!;
    const webhookId = webhookIdOf(queue);
    const [head, webhook] = await Promise.all([this.redis.lindex(queue, 0), this.store.find(webhookId)]);
    if (!webhook) {
      await this.redis.multi().del(queue).srem(WEBHOOK_QUEUES_SET, queue).exec();
      return;
    }
    const event = head ? parseQueued(head, queue) : undefined;
    if (!head || event?.id !== eventId) {
      // Delivered already (a duplicate job): the slot it was queued with goes to the next one.
      await this.queueHanded(await this.slots.release(webhook.tenant, jobId));
      return;
    }
    const made = (job.data.prior ?? 0) + job.attemptsMade;
    // If it is parked, it comes back as a new job (a new id: this one may not be gone yet when it is handed a slot).
    const parkAs = { job: `${freshJobId(queue, eventId)}-r${made}-${randomBytes(3).toString('hex')}`, queue, event: eventId, prior: made };
    const slot = await this.slots.acquire(webhook.tenant, jobId, parkAs);
    await this.queueHanded(slot.handed);
    // A retry back from its backoff while its tenant has every slot: it was parked (with the
    // attempts it made) and gets a new job when a slot is handed to it; this one ends here.
    if (!slot.ok) return;
    const attempt = made + 1;
    let outcome: PostOutcome;
    try {
      const headers = {
        'Content-Type': 'application/json',
        'User-Agent': 'LevelChat-Webhooks/1',
        [SIGNATURE_HEADER]: signWebhook(webhook.secret, head, Math.floor(Date.now() / 1000)),
      };
      outcome = await postWebhook(this.guard, webhook.url, headers, head, this.policy.timeoutMs);
    } finally {
      await this.queueHanded(await this.slots.release(webhook.tenant, jobId));
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
    const next = await this.redis.lcWebhookPop(queue, WEBHOOK_QUEUES_SET, webhookHash(webhookId), eventId);
    if (next) await this.admit([{ queue, eventId: parseQueued(next, queue).id, tenant: webhook.tenant }]);
  }

}

const webhookIdOf = (queue: string) => queue.split(':')[3]!;

/** The job id of a delivery queued when its head arrived (a parked one gets another, see parkedEntry). */
const freshJobId = (queue: string, eventId: string) => `d-${webhookIdOf(queue)}-${eventId}`;

/** An event waiting in a delivery queue; we queued it, so one that does not parse is an error. */
function parseQueued(json: string, queue: string): RoomEvent {
  return parseJsonWith(roomEventSchema, json, `event queued in ${queue}`);
}
