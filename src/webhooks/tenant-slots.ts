import type { Redis, Result } from 'ioredis';

// Per-tenant delivery slots, shared by every node through Redis. Without them one tenant with many
// webhooks at a receiver that never answers fills every worker slot for a whole timeout, again and
// again, and everybody's deliveries wait behind it. With them a tenant has at most `limit` attempts
// in flight; its other jobs are parked (BullMQ delayed, no attempt spent) and woken one by one as
// its own attempts finish, so the wait is the tenant's own and parked jobs cost nothing meanwhile.

/** Delivery attempts of one tenant in flight: job id -> lease deadline (ms). */
const inflightKey = (tenant: string) => `lc:wh:inflight:${tenant}`;
/** Job ids of one tenant waiting for a slot -> when they were first parked (a sorted set: O(log n) at any length). */
const parkedKey = (tenant: string) => `lc:wh:parked:${tenant}`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    lcSlotAcquire(inflight: string, parked: string, jobId: string, nowMs: number, limit: number, leaseMs: number, parkedTtlMs: number): Result<number, Context>;
    lcSlotRelease(inflight: string, parked: string, jobId: string, nowMs: number, leaseMs: number): Result<string | null, Context>;
  }
}

// Expired leases (a node died mid-attempt) free their slot. A job that holds a slot already (one
// handed over by a release) keeps it. Otherwise it takes a free slot, or is parked (keeping its
// place in line if it was parked before).
const ACQUIRE_LUA = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local now = tonumber(ARGV[2])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 1
end
redis.call('ZADD', KEYS[2], 'NX', now, ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 0
`;

// Frees the job's slot and hands it straight to the oldest parked job (returned, to be woken), so a
// newcomer cannot take it first and parked jobs are served in order.
const RELEASE_LUA = `
redis.call('ZREM', KEYS[1], ARGV[1])
local next_job = redis.call('ZPOPMIN', KEYS[2])[1]
if next_job then
  redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), next_job)
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return next_job
`;

export interface TenantSlotsOptions {
  /** Attempts one tenant may have in flight at once, across the cluster. */
  limit: number;
  /** How long a slot is held at most (longer than an attempt's deadline), in case its node dies. */
  leaseMs: number;
  /** How long a parked list outlives its last change (parked jobs come back by themselves anyway). */
  parkedTtlMs: number;
}

export class TenantSlots {
  constructor(
    private readonly redis: Redis,
    private readonly options: TenantSlotsOptions,
  ) {
    redis.defineCommand('lcSlotAcquire', { numberOfKeys: 2, lua: ACQUIRE_LUA });
    redis.defineCommand('lcSlotRelease', { numberOfKeys: 2, lua: RELEASE_LUA });
  }

  /** True: the job holds a slot and may attempt. False: it was parked and must wait to be woken. */
  async acquire(tenant: string, jobId: string): Promise<boolean> {
    const { limit, leaseMs, parkedTtlMs } = this.options;
    return (await this.redis.lcSlotAcquire(inflightKey(tenant), parkedKey(tenant), jobId, Date.now(), limit, leaseMs, parkedTtlMs)) === 1;
  }

  /** Frees the job's slot; returns the parked job it was handed to (wake it), if any. */
  async release(tenant: string, jobId: string): Promise<string | null> {
    return this.redis.lcSlotRelease(inflightKey(tenant), parkedKey(tenant), jobId, Date.now(), this.options.leaseMs);
  }

  /** Attempts of the tenant in flight now (for tests and benches). */
  async inFlight(tenant: string): Promise<number> {
    return this.redis.zcount(inflightKey(tenant), Date.now(), '+inf');
  }
}
