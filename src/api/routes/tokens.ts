import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router, type Request } from 'express';
import type { ApiKeyStore } from '../../auth/api-key-store.js';
import { mintRoomToken } from '../../auth/room-token.js';
import type { RoomService } from '../../rooms/room-service.js';
import { callerKey } from '../authenticate.js';
import { ProblemError } from '../problem.js';
import { defineRoute } from '../route.js';
import { createTokenBody, roomIdParams, tokenSchema } from '../schemas.js';

export interface TokenRoutesDeps {
  rooms: RoomService;
  keys: ApiKeyStore;
  /** Where clients connect for signaling; derived from the request when not configured. */
  publicUrl: string | undefined;
}

function signalingUrl(publicUrl: string | undefined, req: Request): string {
  const base = publicUrl ?? `${req.protocol}://${req.get('host')}`;
  return `${base.replace(/^http/, 'ws').replace(/\/$/, '')}/v1/rtc`;
}

export function tokenRoutes({ rooms, keys, publicUrl }: TokenRoutesDeps, registry: OpenAPIRegistry): Router {
  const router = Router();
  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/rooms/:id/tokens',
      tag: 'Tokens',
      summary: 'Mint a room token',
      description:
        'A JWT (HS256, `kid` = API key id) for one identity in one room with exactly the given capabilities. ' +
        'If the room does not exist it is created on the fly with the defaults of `type` (default meeting).',
      params: roomIdParams,
      body: createTokenBody,
      responses: { 201: { description: 'The token', schema: tokenSchema } },
      errors: { 400: 'Invalid body (unknown capability, bad identity...)', 401: 'Missing or invalid API key', 404: 'The id belongs to another key', 409: 'Room archived (room_archived) or ended by its host (room_ended)' },
    },
    async ({ params, body, req, res }) => {
      const key = callerKey(res);
      const room = await rooms.getOrCreate(key.id, params.id, body.type ?? 'meeting');
      if (room.state === 'archived') throw new ProblemError(409, 'room_archived', 'Room is archived', 'archived rooms are read-only: no new tokens');
      if (room.state === 'ended' && room.ended_reason === 'host_ended') throw new ProblemError(409, 'room_ended', 'Room has ended', 'the host ended this room');
      const signingKey = await keys.signingKey(key.id);
      if (!signingKey) throw new ProblemError(401, 'invalid_api_key', 'Invalid API key', 'the API key was deleted');
      const minted = await mintRoomToken(signingKey, key.id, {
        roomId: room.id,
        identity: body.identity,
        name: body.name ?? null,
        capabilities: [...new Set(body.capabilities)],
        metadata: body.metadata ?? null,
        ttlS: body.ttl_s,
      });
      return {
        status: 201,
        body: { token: minted.token, room_id: room.id, signaling_url: signalingUrl(publicUrl, req), expires_at: minted.expiresAt.toISOString() },
      };
    },
  );
  return router;
}
