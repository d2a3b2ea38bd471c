import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { ProblemError } from '../../../common/problem.js';
import type { Thumbnails } from '../../program/thumbnails.js';
import type { RoomService } from '../../rooms/room-service.js';
import { callerKey } from '../authenticate.js';
import { defineRoute } from '../route.js';
import { roomIdParams } from '../schemas.js';

const thumbnailQuery = z
  .object({ width: z.coerce.number().int().min(16).max(1920).default(640).meta({ description: 'Width in pixels; the height follows the video (rounded to even).' }) })
  .strict();

/** Cached this long by whoever fetches it: the server makes a new one every few seconds at most. */
const CACHE_CONTROL = 'private, max-age=5';

export function thumbnailRoutes({ rooms, thumbnails }: { rooms: RoomService; thumbnails: Thumbnails }, registry: OpenAPIRegistry): Router {
  const router = Router();
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/rooms/:id/thumbnail.jpg',
      tag: 'Rooms',
      summary: 'A recent frame of the on-air video (JPEG)',
      description:
        'For listings and social cards: a frame of what the room\'s LL-HLS shows now (who is on air), at most a few seconds old. ' +
        'Served to the room\'s API key: fetch it from your back end (or cache it on your CDN) for public pages. Recordings have a poster of their own (`poster_url`).',
      params: roomIdParams,
      query: thumbnailQuery,
      responses: { 200: { description: 'image/jpeg' } },
      errors: { 400: 'Invalid room id or width', 404: 'No such room for this key (room_not_found), or nobody is on air (not_on_air)' },
    },
    async ({ params, query, res }) => {
      const room = await rooms.get(callerKey(res).id, params.id);
      const jpeg = await thumbnails.get(room, query.width);
      if (!jpeg) throw new ProblemError('not_on_air', 'nobody is on air in this room (thumbnails come from its LL-HLS stream)');
      res.set('Cache-Control', CACHE_CONTROL);
      return { status: 200, body: jpeg, contentType: 'image/jpeg' };
    },
  );
  return router;
}
