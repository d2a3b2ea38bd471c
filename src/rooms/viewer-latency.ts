import type { Redis, Result } from 'ioredis';

/** How viewers receive a room: WebRTC through the SFU, or the LL-HLS stream. */
export const DELIVERIES = ['webrtc', 'llhls'] as const;
export type Delivery = (typeof DELIVERIES)[number];

/** A viewer counts while its last report is at most this old (players report every 5 s). */
export const VIEWER_WINDOW_MS = 15_000;
/**
 * Viewers a room's window holds at most. Past it new viewers' reports are not kept (the ones held
 * stay): the percentiles are then those of a sample, and the count says "at least" (`capped`).
 */
export const VIEWERS_PER_ROOM = 1000;

export interface LatencySummary {
  /** Viewers that reported within the window (at most VIEWERS_PER_ROOM). */
  viewers: number;
  /** True when the window is full, so `viewers` is a floor. */
  capped: boolean;
  /** Percentiles of each viewer's latest latency (s); null when nobody reported one. */
  p50_s: number | null;
  p95_s: number | null;
  window_s: number;
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    lcViewerReport(seen: string, values: string, session: string, value: string, nowMs: number, windowMs: number, cap: number): Result<number, Context>;
  }
}

// One step per report, from any node: drop viewers whose last report left the window, refuse a new
// viewer when the room holds its cap, then keep this viewer's latest value. Both keys expire with
// the window, so a room nobody watches leaves nothing behind. 1: kept, 0: the window is full.
const REPORT_LUA = `
local cutoff = tonumber(ARGV[3]) - tonumber(ARGV[4])
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', cutoff)
if #stale > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', cutoff)
  redis.call('HDEL', KEYS[2], unpack(stale))
end
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[5]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
`;

const seenKey = (roomId: string) => `lc:room:${roomId}:viewer-seen`;
const valuesKey = (roomId: string) => `lc:room:${roomId}:viewer-latency`;

/**
 * Each room's viewers as their players report them: the latest latency of every viewer seen in the
 * last 15 s, in Redis (so any node answers `GET /v1/rooms/{id}` for the whole cluster). Memory per
 * room is bounded by VIEWERS_PER_ROOM entries of a few dozen bytes, and expires with the window.
 */
export class ViewerLatencyWindow {
  constructor(
    private readonly redis: Redis,
    private readonly limits = { windowMs: VIEWER_WINDOW_MS, viewersPerRoom: VIEWERS_PER_ROOM },
  ) {
    redis.defineCommand('lcViewerReport', { numberOfKeys: 2, lua: REPORT_LUA });
  }

  /** Keeps a viewer's report (`latencyS` null: playing, latency unknown yet). False when the room's window is full. */
  async report(roomId: string, session: string, latencyS: number | null, nowMs = Date.now()): Promise<boolean> {
    const value = latencyS === null ? '' : latencyS.toFixed(3);
    const kept = await this.redis.lcViewerReport(seenKey(roomId), valuesKey(roomId), session, value, nowMs, this.limits.windowMs, this.limits.viewersPerRoom);
    return kept === 1;
  }

  async summary(roomId: string, nowMs = Date.now()): Promise<LatencySummary> {
    const [fresh, values] = await Promise.all([
      this.redis.zrangebyscore(seenKey(roomId), nowMs - this.limits.windowMs, '+inf'),
      this.redis.hgetall(valuesKey(roomId)),
    ]);
    const latencies = fresh.map((session) => values[session]).filter((v): v is string => v !== undefined && v !== '').map(Number).sort((a, b) => a - b);
    return {
      viewers: fresh.length,
      capped: fresh.length >= this.limits.viewersPerRoom,
      p50_s: percentile(latencies, 0.5),
      p95_s: percentile(latencies, 0.95),
      window_s: this.limits.windowMs / 1000,
    };
  }
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}
