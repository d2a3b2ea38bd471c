import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import type { RecordingStore } from '../../../pipeline/recording/recording-store.js';
import type { ObjectStore } from '../../../storage/object-store.js';
import type { RoomService } from '../../rooms/room-service.js';
import { defineRoomList } from '../resource-routes.js';

const LINK_TTL_S = 3600;

const recordingSchema = z
  .object({
    id: z.string(),
    room_id: z.string(),
    state: z.enum(['processing', 'ready', 'failed']),
    started_at: z.string(),
    ended_at: z.string(),
    duration_s: z.number(),
    mp4_bytes: z.number().nullable(),
    mp4_url: z.string().nullable().meta({ description: 'Presigned, valid one hour; null until ready.' }),
    poster_url: z.string().nullable().meta({ description: 'A JPEG from the recording (listings, social cards), presigned, valid one hour; null until ready.' }),
    vod_url: z.string().meta({ description: 'The VOD playlist (EXT-X-PLAYLIST-TYPE:VOD) over the recorded segments, presigned.' }),
    error: z.string().nullable(),
  })
  .meta({ id: 'Recording' });

export function recordingRoutes({ rooms, recordings, store }: { rooms: RoomService; recordings: RecordingStore; store: ObjectStore }, registry: OpenAPIRegistry): Router {
  const router = Router();
  defineRoomList(
    router,
    registry,
    rooms,
    {
      key: 'recordings',
      tag: 'Rooms',
      summary: 'Recordings of the room',
      description:
        'Rooms with `config.record.enabled` record their LL-HLS stream: each on-air run becomes a VOD playlist and an MP4. ' +
        'Recordings stay after the room ended or was archived; deleting a room never deletes them.',
      item: recordingSchema,
      listId: 'RecordingList',
      listed: 'Recordings, oldest first',
    },
    async (_owner, roomId) =>
      Promise.all(
        (await recordings.list(roomId)).map(async (r) => ({
          id: r.id,
          room_id: r.room_id,
          state: r.state,
          started_at: r.started_at,
          ended_at: r.ended_at,
          duration_s: r.duration_s,
          mp4_bytes: r.mp4_bytes,
          mp4_url: r.state === 'ready' ? await store.presignedGet(r.mp4_key, LINK_TTL_S) : null,
          poster_url: r.state === 'ready' && r.poster_key ? await store.presignedGet(r.poster_key, LINK_TTL_S) : null,
          vod_url: await store.presignedGet(r.vod_key, LINK_TTL_S),
          error: r.error,
        })),
      ),
  );
  return router;
}
