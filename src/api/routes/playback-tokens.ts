import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { ProblemError } from '../../../common/problem.js';
import { PLAYBACK_TOKEN_TTL_S } from '../../auth/playback-token.js';
import type { TokenMinter } from '../../auth/token-minter.js';
import { hlsUrl } from '../../hls/hls-status.js';
import type { RoomService } from '../../rooms/room-service.js';
import { callerKey } from '../authenticate.js';
import { defineRoute } from '../route.js';
import { identitySchema, requestBody, roomIdParams } from '../schemas.js';
import { publicBase } from './tokens.js';

const MAX_PLAYBACK_TTL_S = 24 * 3600;

export const createPlaybackTokenBody = requestBody('CreatePlaybackTokenRequest', {
  identity: identitySchema.meta({ description: 'The viewer the token is for (it appears in nothing public; for your own audit).' }),
  ttl_s: z.number().int().min(60).max(MAX_PLAYBACK_TTL_S).default(PLAYBACK_TOKEN_TTL_S),
});

export const playbackTokenSchema = z
  .object({
    token: z.string(),
    playback_url: z.string().meta({ description: 'The LL-HLS multivariant playlist with the token; every URI it names carries the token too.' }),
    expires_at: z.string(),
  })
  .meta({ id: 'PlaybackToken' });

/** Signed LL-HLS playback: the integrator's back end hands its viewers a URL that works for a while. */
export function playbackTokenRoutes({ rooms, minter, publicUrl }: { rooms: RoomService; minter: TokenMinter; publicUrl: string | undefined }, registry: OpenAPIRegistry): Router {
  const router = Router();
  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/rooms/:id/playback-tokens',
      tag: 'Rooms',
      summary: 'Mint a playback token for the room\'s LL-HLS',
      description: 'Needed by every viewer of a room whose `config.playback` is `signed` (and of registration-gated rooms); accepted by public rooms too.',
      params: roomIdParams,
      body: createPlaybackTokenBody,
      responses: { 201: { description: 'The token and the playlist URL that carries it', schema: playbackTokenSchema } },
      errors: { 400: 'Invalid body', 404: 'No such room for this key', 409: 'The room is not delivered over LL-HLS (hls_off)' },
    },
    async ({ params, body, req, res }) => {
      const room = await rooms.get(callerKey(res).id, params.id);
      if (!room.config.hls) throw new ProblemError('hls_off', 'only broadcast, live, webinar and promoted hybrid rooms have LL-HLS');
      const token = await minter.mintPlayback(room.owner, room.id, body.identity, body.ttl_s);
      return {
        status: 201,
        body: {
          token,
          playback_url: `${publicBase(publicUrl, req)}${hlsUrl(room.id)}?token=${token}`,
          expires_at: new Date(Date.now() + body.ttl_s * 1000).toISOString(),
        },
      };
    },
  );
  return router;
}
