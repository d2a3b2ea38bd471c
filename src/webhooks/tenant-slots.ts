import type { Redis, Result } from 'ioredis';
import { z } from 'zod';
import { parseJsonWith } from '../../common/json-payload.js';

// Per-tenant delivery slots, shared by every node through Redis. Without them one tenant with many
// webhooks at a receiver that never answers fills every worker slot for a whole timeout, again and
// again, and everybody's deliveries wait behind it. With them a tenant has at most `limit`
// deliveries in BullMQ's queue or in flight; the rest of its backlog waits here, parked, outside
// BullMQ (so other tenants' jobs never queue behind it and it costs no work while it waits), and is
// handed a slot, oldest first, each time one of that tenant's attempts ends.

/** Slots of one tenant: job id -> lease deadline (ms). A slot is taken when its job is queued. */
const inflightKey = (tenant: string) => `lc:wh:inflight:${tenant}`;
/** Deliveries of one tenant waiting for a slot: a ParkedEntry (JSON) -> when it was parked. */
const parkedKey = (tenant: string) => `lc:wh:parked:${tenant}`;

/** A delivery waiting for a slot: the job to queue for it when it gets one. */
export const parkedEntrySchema = z.object({
  /** The BullMQ job id it will have (see WebhookDispatcher: the same id for the same new head, so parking it twice is a no-op). */
  job: z.string(),
  /** Its (webhook, room) delivery queue and the event at its head. */
  queue: z.string(),
  event: z.string(),
  /** Attempts already made (a retry that found no slot), so the 36-attempt budget carries over. */
  prior: z.number().int().min(0),
});
export type ParkedEntry = z.infer<typeof parkedEntrySchema>;


type SlotReply = [number[], string[]];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    lcSlotAdmit(inflight: string, parked: string, now: number, limit: number, leaseMs: number, unused: string, ...jobAndEntry: string[]): Result<SlotReply, Context>;
    lcSlotAcquire(inflight: string, parked: string, now: number, limit: number, leaseMs: number, jobId: string, entry: string): Result<SlotReply, Context>;
    lcSlotRelease(inflight: string, parked: string, now: number, limit: number, leaseMs: number, jobId: string): Result<SlotReply, Context>;
  }
}

// Shared head of the three scripts. Expired leases (a node died, or a queued job waited too long)
// free their slot; free slots go to parked deliveries first, oldest first, under the job id they
// will be queued with. `handed` is returned: the caller queues those jobs.
const REFILL_LUA = `
local now, limit, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local handed = {}
while redis.call('ZCARD', KEYS[1]) < limit do
  local top = redis.call('ZPOPMIN', KEYS[2])
  if not top[1] then break end
  redis.call('ZADD', KEYS[1], now + lease, cjson.decode(top[1]).job)
  table.insert(handed, top[1])
end
local function take(job, entry)
  if redis.call('ZSCORE', KEYS[1], job) or redis.call('ZCARD', KEYS[1]) < limit then
    redis.call('ZADD', KEYS[1], now + lease, job)
    return 1
  end
  redis.call('ZADD', KEYS[2], 'NX', now, entry)
  return 0
end
`;

// New deliveries (queue heads): each takes a slot (queue it now) or is parked (queue nothing).
const ADMIT_LUA = `${REFILL_LUA}
local taken = {}
for i = 5, #ARGV, 2 do table.insert(taken, take(ARGV[i], ARGV[i + 1])) end
redis.call('PEXPIRE', KEYS[1], lease)
return { taken, handed }
`;

// A job about to attempt: it holds its slot (taken when it was queued), takes a free one, or (a
// retry back from its backoff while the tenant is busy) is parked as ARGV[5] and must end.
const ACQUIRE_LUA = `${REFILL_LUA}
local taken = { take(ARGV[4], ARGV[5]) }
redis.call('PEXPIRE', KEYS[1], lease)
return { taken, handed }
`;

// An attempt ended: its slot goes to the oldest parked delivery.
const RELEASE_LUA = `
redis.call('ZREM', KEYS[1], ARGV[4])
${REFILL_LUA}
redis.call('PEXPIRE', KEYS[1], lease)
return { {}, handed }
`;

export interface TenantSlotsOptions {
  /** Deliveries of one tenant queued or in flight at once, across the cluster. */
  limit: number;
  /** How long a slot is held at most (longer than an attempt's deadline), in case its node dies. */
  leaseMs: number;
}

export class TenantSlots {
  constructor(
    private readonly redis: Redis,
    private readonly options: TenantSlotsOptions,
  ) {
    redis.defineCommand('lcSlotAdmit', { numberOfKeys: 2, lua: ADMIT_LUA });
    redis.defineCommand('lcSlotAcquire', { numberOfKeys: 2, lua: ACQUIRE_LUA });
    redis.defineCommand('lcSlotRelease', { numberOfKeys: 2, lua: RELEASE_LUA });
  }

  /**
   * New deliveries of `tenant`: which took a slot (queue their job now, under `jobId`) and which
   * were parked; plus parked deliveries that were handed a slot meanwhile (queue them too).
   */
  async admit(tenant: string, deliveries: { jobId: string; entry: ParkedEntry }[]): Promise<{ taken: boolean[]; handed: ParkedEntry[] }> {
    const args = deliveries.flatMap((d) => [d.jobId, JSON.stringify(d.entry)]);
    const [taken, handed] = await this.redis.lcSlotAdmit(...this.keys(tenant), ...this.head(), '', ...args);
    return { taken: taken.map((t) => t === 1), handed: this.parse(handed) };
  }

  /** Before an attempt: true when the job may attempt; false when it was parked as `parkAs` (end the job). */
  async acquire(tenant: string, jobId: string, parkAs: ParkedEntry): Promise<{ ok: boolean; handed: ParkedEntry[] }> {
    const [taken, handed] = await this.redis.lcSlotAcquire(...this.keys(tenant), ...this.head(), jobId, JSON.stringify(parkAs));
    return { ok: taken[0] === 1, handed: this.parse(handed) };
  }

  /** After an attempt: frees the job's slot; returns the parked deliveries it was handed to (queue them). */
  async release(tenant: string, jobId: string): Promise<ParkedEntry[]> {
    const [, handed] = await this.redis.lcSlotRelease(...this.keys(tenant), ...this.head(), jobId);
    return this.parse(handed);
  }

  /** Slots of the tenant taken now, and its deliveries parked (for tests and benches). */
  async load(tenant: string): Promise<{ inFlight: number; parked: number }> {
    const [inFlight, parked] = await Promise.all([this.redis.zcount(inflightKey(tenant), Date.now(), '+inf'), this.redis.zcard(parkedKey(tenant))]);
    return { inFlight, parked };
  }

  private keys(tenant: string): [string, string] {
    return [inflightKey(tenant), parkedKey(tenant)];
  }

  private head(): [number, number, number] {
    return [Date.now(), this.options.limit, this.options.leaseMs];
  }

  private parse(entries: string[]): ParkedEntry[] {
    return entries.map((e) => parseJsonWith(parkedEntrySchema, e, 'parked webhook delivery'));
  }
}
