import type { Redis } from 'ioredis';

export interface HlsStatus {
  state: 'live' | 'ended' | 'failed';
  url: string;
  on_air: { participant_id: string; identity: string } | null;
  updated_at: string;
  error?: string;
}

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
    return raw ? (JSON.parse(raw) as HlsStatus) : null;
  }
}
