import type { Redis } from 'ioredis';
import { z } from 'zod';
import { parseJsonWith } from '../../common/json-payload.js';

export const recordingSchema = z.object({
  id: z.string(),
  room_id: z.string(),
  /** The HLS rendition the recording is made of (objects under hls/{room_id}/{rendition}/). */
  rendition: z.string(),
  state: z.enum(['processing', 'ready', 'failed']),
  started_at: z.string(),
  ended_at: z.string(),
  duration_s: z.number(),
  /** Object keys: the VOD playlist (beside the segments) and the exported MP4. */
  vod_key: z.string(),
  mp4_key: z.string(),
  mp4_bytes: z.number().nullable(),
  /** A JPEG from the recording (absent on recordings made before posters). */
  poster_key: z.string().nullable().optional(),
  error: z.string().nullable(),
});

export type Recording = z.infer<typeof recordingSchema>;

const key = (roomId: string) => `lc:room:${roomId}:recordings`;

/** A room's recordings. They are never deleted with the room: they outlive it and its archive. */
export class RecordingStore {
  constructor(private readonly redis: Redis) {}

  async save(recording: Recording): Promise<void> {
    await this.redis.hset(key(recording.room_id), recording.id, JSON.stringify(recording));
  }

  async get(roomId: string, id: string): Promise<Recording | undefined> {
    const raw = await this.redis.hget(key(roomId), id);
    return raw ? parseRecording(raw, roomId, id) : undefined;
  }

  async list(roomId: string): Promise<Recording[]> {
    return Object.entries(await this.redis.hgetall(key(roomId)))
      .map(([id, j]) => parseRecording(j, roomId, id))
      .sort((a, b) => a.started_at.localeCompare(b.started_at));
  }
}

function parseRecording(json: string, roomId: string, id: string): Recording {
  return parseJsonWith(recordingSchema, json, `recording ${id} of room ${roomId}`);
}
