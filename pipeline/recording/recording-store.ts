import type { Redis } from 'ioredis';

export interface Recording {
  id: string;
  room_id: string;
  /** The HLS rendition the recording is made of (objects under hls/{room_id}/{rendition}/). */
  rendition: string;
  state: 'processing' | 'ready' | 'failed';
  started_at: string;
  ended_at: string;
  duration_s: number;
  /** Object keys: the VOD playlist (beside the segments) and the exported MP4. */
  vod_key: string;
  mp4_key: string;
  mp4_bytes: number | null;
  error: string | null;
}

const key = (roomId: string) => `lc:room:${roomId}:recordings`;

/** A room's recordings. They are never deleted with the room: they outlive it and its archive. */
export class RecordingStore {
  constructor(private readonly redis: Redis) {}

  async save(recording: Recording): Promise<void> {
    await this.redis.hset(key(recording.room_id), recording.id, JSON.stringify(recording));
  }

  async get(roomId: string, id: string): Promise<Recording | undefined> {
    const raw = await this.redis.hget(key(roomId), id);
    return raw ? (JSON.parse(raw) as Recording) : undefined;
  }

  async list(roomId: string): Promise<Recording[]> {
    return Object.values(await this.redis.hgetall(key(roomId)))
      .map((j) => JSON.parse(j) as Recording)
      .sort((a, b) => a.started_at.localeCompare(b.started_at));
  }
}
