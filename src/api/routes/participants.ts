import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import type { Redis } from 'ioredis';
import type { Revocations } from '../../auth/revocations.js';
import { roomControlChannel } from '../../events/event-keys.js';
import type { RoomControl } from '../../events/room-control.js';
import type { RoomService } from '../../rooms/room-service.js';
import { callerKey } from '../authenticate.js';
import { defineRoute } from '../route.js';
import { participantParams } from '../schemas.js';

export interface ParticipantRoutesDeps {
  rooms: RoomService;
  revocations: Revocations;
  redis: Redis;
}

export function participantRoutes({ rooms, revocations, redis }: ParticipantRoutesDeps, registry: OpenAPIRegistry): Router {
  const router = Router();
  defineRoute(
    router,
    registry,
    {
      method: 'delete',
      path: '/v1/rooms/:id/participants/:identity',
      tag: 'Participants',
      summary: 'Kick a participant and revoke their tokens',
      description:
        'Disconnects every session of `identity` (reason `revoked`) and refuses every token issued to it for this room before now, ' +
        'at join and at every later use. A token minted afterwards lets the identity back in.',
      params: participantParams,
      responses: { 204: { description: 'Kicked and revoked' } },
      errors: { 400: 'Invalid room id or identity', 401: 'Missing or invalid API key', 404: 'No such room for this key' },
    },
    async ({ params, res }) => {
      await rooms.get(callerKey(res).id, params.id);
      await revocations.revoke(params.id, params.identity);
      const control: RoomControl = { type: 'kick', room_id: params.id, identity: params.identity, reason: 'revoked' };
      await redis.publish(roomControlChannel(redis), JSON.stringify(control));
      return { status: 204 };
    },
  );
  return router;
}
