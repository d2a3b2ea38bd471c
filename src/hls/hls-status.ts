import type { Redis } from 'ioredis';
import { z } from 'zod';
import { parseJsonWith } from '../../common/json-payload.js';

export const hlsStatusSchema = z.object({
  state: z.enum(['live', 'ended', 'failed']),
  url: z.string(),
  on_air: z.object({ participant_id: z.string(), identity: z.string() }).nullable(),
  updated_at: z.string(),
  error: z.string().optional(),
});

export type HlsStatus = z.infer<typeof hlsStatusSchema>;

const key = (roomId: string) => `lc:room:${roomId}:hls`;

/** Where a room's LL-HLS audience watches, relative to any node. */
export const hlsUrl = (roomId: string) => `/hls/${roomId}/master.m3u8`;

/** A room's LL-HLS state as `GET /v1/rooms/{id}` shows it, shared by every node through Redis. */
export class HlsStatusStore {
  constructor(private readonly redis: Redis) {}

  async set(roomId: string, status: Omit<HlsStatus, 'url' | 'updated_at'>): Promise<void> {
    const full: HlsStatus = { ...status, url: hlsUrl(roomId), updated_at: new Date().toISOString() };
    await this.redis.set(key(roomId), JSON.stringify(full));
  }

  async get(roomId: string): Promise<HlsStatus | null> {
    const raw = await this.redis.get(key(roomId));
    return raw ? parseJsonWith(hlsStatusSchema, raw, `LL-HLS status of room ${roomId}`) : null;
  }
}
