import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { ProblemError } from '../../../common/problem.js';
import { RESTREAM_ID, RESTREAM_STATES, RESTREAMS_PER_ROOM } from '../../program/restream-store.js';
import type { Restreams } from '../../program/restreams.js';
import type { RoomService } from '../../rooms/room-service.js';
import { defineRoomResources } from '../resource-routes.js';
import { requestBody } from '../schemas.js';

const createRestreamBody = requestBody('CreateRestreamRequest', {
  url: z
    .string()
    .max(2048)
    .regex(/^(rtmps?|srt):\/\//, 'must start with rtmp://, rtmps:// or srt://')
    .meta({ description: 'rtmp://, rtmps:// (FLV) or srt:// (MPEG-TS), with the platform\'s stream key in it as it asks (rtmp://a.rtmp.youtube.com/live2/<key>).' }),
});

const restreamSchema = z
  .object({
    id: z.string(),
    room_id: z.string(),
    url: z.string(),
    created_at: z.string(),
    state: z.enum(RESTREAM_STATES).meta({ description: '`waiting`: nobody on air; `connecting`; `live`: pushing; `retrying`: the destination failed, tried again after a backoff (1 s doubling to 30 s).' }),
    state_since: z.string(),
    node_id: z.string().nullable().meta({ description: 'The node pushing it.' }),
    failures: z.number().int().meta({ description: 'Failed attempts in a row.' }),
    last_error: z.object({ message: z.string(), at: z.string() }).nullable(),
  })
  .meta({ id: 'Restream' });

/** Restreams of a room's on-air program to RTMP(S)/SRT destinations (YouTube, Twitch, another LevelChat ...). */
export function restreamRoutes({ rooms, restreams }: { rooms: RoomService; restreams: Restreams }, registry: OpenAPIRegistry): Router {
  const router = Router();
  const tag = 'Restreams';

  defineRoomResources(
    router,
    registry,
    rooms,
    {
      key: 'restreams',
      noun: 'restream',
      idPattern: RESTREAM_ID,
      perRoom: RESTREAMS_PER_ROOM,
      tag,
      schema: restreamSchema,
      listId: 'RestreamList',
      listed: 'Restreams',
      notFound: 'restream_not_found',
      summaries: { list: 'List the restreams of a room', get: 'Get a restream and its state', delete: 'Stop and delete a restream' },
      create: {
        summary: 'Push the room\'s on-air program to an RTMP(S) or SRT destination',
        description:
          'While the room is on air (its LL-HLS: the stage participant by the on-air rule), its program is pushed, copied without re-encoding, to the URL; ' +
          'a destination that drops is tried again with backoff. `restream.started` and `restream.failed` webhooks follow it. ' +
          'The host must resolve to public addresses only (as webhook URLs: no loopback, private, link-local, CGNAT, multicast ...), checked again before every attempt.',
        body: createRestreamBody,
        created: { description: 'The restream', schema: restreamSchema },
        conflict: 'not delivered over LL-HLS (hls_off)',
        errors: { 422: 'The destination does not resolve to public addresses only (restream_destination_refused)' },
        // restream_destination_refused and restream_limit are domain errors: the problem handler answers them.
        run: async (owner, room, body) => {
          if (!room.config.hls && room.type !== 'hybrid') throw new ProblemError('hls_off', 'restreams push the room\'s LL-HLS program: this room has none');
          return restreams.create(owner, room.id, body.url);
        },
      },
    },
    restreams,
  );
  return router;
}
