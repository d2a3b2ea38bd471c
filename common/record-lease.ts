import type { Redis, Result } from 'ioredis';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    lcLeaseClaim(record: string, lease: string, holder: string, ttlMs: number): Result<string, Context>;
    lcLeaseRelease(lease: string, holder: string): Result<number, Context>;
  }
}

// A lease is taken (or kept) by its holder while the record it is about exists; a lease on a
// deleted record answers `gone`, which tells its holder to stop.
const CLAIM_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'gone' end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return 'taken' end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 'ok'
`;
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export type LeaseResult = 'ok' | 'taken' | 'gone';

/**
 * Who, across the cluster, does the one thing a record allows one of at a time (the encoder of an
 * ingest, the push of a restream): a Redis key held by its holder for `ttlMs` and renewed while it
 * works, so a holder that dies lets go by itself.
 */
export class RecordLeases {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('lcLeaseClaim', { numberOfKeys: 2, lua: CLAIM_LUA });
    redis.defineCommand('lcLeaseRelease', { numberOfKeys: 1, lua: RELEASE_LUA });
  }

  /** Takes or keeps the lease `leaseKey` on `recordKey` for `holder`. */
  async claim(recordKey: string, leaseKey: string, holder: string, ttlMs: number): Promise<LeaseResult> {
    return (await this.redis.lcLeaseClaim(recordKey, leaseKey, holder, ttlMs)) as LeaseResult;
  }

  async release(leaseKey: string, holder: string): Promise<void> {
    await this.redis.lcLeaseRelease(leaseKey, holder);
  }
}
