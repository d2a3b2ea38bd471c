import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { parseWith } from '../../common/json-payload.js';

const holdKey = (videoProducerId: string) => `lc:hls:source:${videoProducerId}:held`;

/**
 * Where a held source stands: `held` by its publisher, `parked` once an LL-HLS run ended its ffmpeg
 * for it, `released` by the publisher while a run is parked (the run starts ffmpeg again, then
 * deletes the hold). No hold: the source flows.
 */
const holdStateSchema = z.enum(['held', 'parked', 'released']).nullable();
export type HoldState = NonNullable<z.infer<typeof holdStateSchema>>;

/** How long a released hold waits for its run to start ffmpeg again before the publisher goes on anyway. */
const RELEASED_TTL_MS = 5000;
const POLL_MS = 25;

// Released while a run is parked: the run has to start ffmpeg before the media flows again.
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == 'parked' then
  redis.call('SET', KEYS[1], 'released', 'PX', ARGV[1])
  return 1
end
redis.call('DEL', KEYS[1])
return 0
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    lcSourceRelease(key: string, ttlMs: number): import('ioredis').Result<number, Context>;
  }
}

/**
 * A producer whose source went away for a moment and is expected back (an RTMP or SRT encoder
 * reconnecting into the same producers). While it is held, an LL-HLS run of it ends its ffmpeg and
 * waits; on release the run starts ffmpeg again before the publisher lets media flow, so the media
 * after the gap (new timestamps, new codec configuration) becomes a discontinuity in the same
 * playlists, from its first keyframe, rather than a new run. A hold expires by itself (`ttlMs`) if
 * its holder dies.
 */
export class SourceHolds {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('lcSourceRelease', { numberOfKeys: 1, lua: RELEASE_LUA });
  }

  // The publisher's side.

  async hold(videoProducerId: string, ttlMs: number): Promise<void> {
    await this.redis.set(holdKey(videoProducerId), 'held', 'PX', ttlMs);
  }

  /**
   * Ends the hold. Resolves once a run that parked for it has started ffmpeg again (at most
   * `timeoutMs`), at once when no run parked.
   */
  async release(videoProducerId: string, timeoutMs = 3000): Promise<void> {
    const key = holdKey(videoProducerId);
    if ((await this.redis.lcSourceRelease(key, RELEASED_TTL_MS)) === 0) return;
    const until = Date.now() + timeoutMs;
    while (Date.now() < until && (await this.redis.get(key)) === 'released') await sleep(POLL_MS);
  }

  // The LL-HLS run's side.

  async state(videoProducerId: string): Promise<HoldState | null> {
    return parseWith(holdStateSchema, await this.redis.get(holdKey(videoProducerId)), `hold of producer ${videoProducerId}`);
  }

  /** The run ended its ffmpeg for the hold (kept only while the hold is). */
  async parked(videoProducerId: string): Promise<void> {
    await this.redis.set(holdKey(videoProducerId), 'parked', 'KEEPTTL', 'XX');
  }

  /** The run started ffmpeg again: the publisher may let the media flow. */
  async resumed(videoProducerId: string): Promise<void> {
    await this.redis.del(holdKey(videoProducerId));
  }
}
