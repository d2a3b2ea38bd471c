import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { INGEST_STATES } from '../../ingest/ingest-state.js';
import { INGEST_PROTOCOLS, INGESTS_PER_ROOM } from '../../ingest/ingest-store.js';
import type { IngestService } from '../../ingest/ingest-service.js';
import { INGEST_ID } from '../../ingest/stream-keys.js';
import type { RoomService } from '../../rooms/room-service.js';
import { defineRoomResources } from '../resource-routes.js';
import { identitySchema, requestBody } from '../schemas.js';

const createIngestBody = requestBody('CreateIngestRequest', {
  protocol: z.enum(INGEST_PROTOCOLS).meta({ description: '`rtmp` (OBS, ffmpeg -f flv) or `srt` (MPEG-TS over SRT, encrypted with the passphrase).' }),
  identity: identitySchema.optional().meta({ description: "The encoder's participant identity in the room; default the ingest's id." }),
  name: z.string().max(256).optional(),
  reconnect_window_s: z
    .number()
    .int()
    .min(0)
    .max(300)
    .default(10)
    .meta({ description: 'An encoder that drops and reconnects within this many seconds continues the same broadcast (LL-HLS with a discontinuity).' }),
});

const ingestSchema = z
  .object({
    id: z.string(),
    room_id: z.string(),
    protocol: z.enum(INGEST_PROTOCOLS),
    identity: z.string(),
    name: z.string().nullable(),
    url: z.string().meta({ description: 'Server URL, without secrets: `rtmp://host:port/live` (publish to `<url>/<stream_key>`) or `srt://host:port` (`?streamid=<stream_key>&passphrase=<srt_passphrase>`).' }),
    reconnect_window_s: z.number().int(),
    created_at: z.string(),
    state: z.enum(INGEST_STATES).meta({ description: '`idle`: no encoder; `live`: an encoder sends; `reconnecting`: it dropped, the room waits `reconnect_window_s` for it.' }),
    state_since: z.string(),
    node_id: z.string().nullable().meta({ description: 'The node the encoder is connected to.' }),
    media: z
      .object({
        video: z.object({ codec: z.string(), passthrough: z.boolean() }).nullable(),
        audio: z.object({ codec: z.string() }).nullable(),
        note: z.string().nullable().meta({ description: 'Why the video is encoded again, when it is (another codec than H.264, or B-frames).' }),
      })
      .nullable()
      .meta({ description: 'What the encoder sends: H.264 without B-frames is passed through, other video encoded to H.264, audio always to Opus.' }),
    last_error: z
      .object({ code: z.string(), message: z.string(), at: z.string() })
      .nullable()
      .meta({ description: 'The last refusal or failure (`unsupported_media`, `encoder_already_live`, `wrong_node`, `room_full`, `encoder_dropped` ...).' }),
  })
  .meta({ id: 'Ingest' });

const createdIngestSchema = ingestSchema
  .extend({
    stream_key: z.string().meta({ description: 'Shown only once; only its hash is stored.' }),
    srt_passphrase: z.string().nullable().meta({ description: 'SRT only, shown only once: callers must encrypt with it.' }),
    publish_url: z.string().meta({ description: 'The whole URL to give an encoder (holds the secrets).' }),
  })
  .meta({ id: 'CreatedIngest' });

export interface IngestRoutesDeps {
  rooms: RoomService;
  ingests: IngestService;
}

/** Encoder endpoints of a room, shaped like Mux live streams: a stream key per RTMP or SRT ingest. */
export function ingestRoutes({ rooms, ingests }: IngestRoutesDeps, registry: OpenAPIRegistry): Router {
  const router = Router();
  const tag = 'Ingests';

  defineRoomResources(
    router,
    registry,
    rooms,
    {
      key: 'ingests',
      noun: 'ingest',
      idPattern: INGEST_ID,
      perRoom: INGESTS_PER_ROOM,
      tag,
      schema: ingestSchema,
      listId: 'IngestList',
      listed: 'Ingests, oldest id first',
      notFound: 'ingest_not_found',
      summaries: { list: 'List the ingests of a room', get: 'Get an ingest and what its encoder is doing', delete: 'Delete an ingest (revoke its stream key)' },
      deleteDescription: 'The key stops working at once; a live encoder is cut off and its participant leaves the room.',
      create: {
        summary: 'Create an RTMP or SRT ingest (a stream key)',
        description:
          'An encoder (OBS, ffmpeg, a hardware encoder) that connects with the stream key becomes a participant of the room ' +
          '(`identity`, publishing camera and microphone): WebRTC viewers, LL-HLS and recordings see it. H.264 without B-frames is passed ' +
          'through; other video is encoded to H.264; audio becomes Opus. The key (and the SRT passphrase) are shown only in this response; ' +
          'only the key\'s hash is stored, and only this API key sees the ingest. One encoder at a time per key: a second one is refused while one is live.',
        body: createIngestBody,
        created: { description: 'The ingest with its stream key', schema: createdIngestSchema },
        errors: { 503: 'Every SRT port of this node is taken (srt_ports_exhausted)' },
        // ingest_limit and srt_ports_exhausted are domain errors: the problem handler answers them.
        run: async (owner, room, body) => {
          const created = await ingests.create({ roomId: room.id, owner, protocol: body.protocol, identity: body.identity ?? null, name: body.name ?? null, reconnectWindowS: body.reconnect_window_s });
          return { ...created.ingest, stream_key: created.streamKey, srt_passphrase: created.srtPassphrase, publish_url: created.publishUrl };
        },
      },
    },
    ingests,
  );
  return router;
}
