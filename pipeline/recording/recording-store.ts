import type { Redis } from 'ioredis';
import { z } from 'zod';
import { RoomRecords } from '../../common/room-records.js';

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

/** A room's recordings. They are never deleted with the room: they outlive it and its archive. */
export class RecordingStore {
  readonly #records: RoomRecords<typeof recordingSchema>;

  constructor(redis: Redis) {
    this.#records = new RoomRecords(redis, recordingSchema, (roomId) => `lc:room:${roomId}:recordings`, 'recording');
  }

  async save(recording: Recording): Promise<void> {
    await this.#records.put(recording.room_id, recording.id, recording);
  }

  get(roomId: string, id: string): Promise<Recording | undefined> {
    return this.#records.get(roomId, id);
  }

  list(roomId: string): Promise<Recording[]> {
    return this.#records.list(roomId, 'started_at');
  }
}
