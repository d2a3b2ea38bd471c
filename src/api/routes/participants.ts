import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import type { RoomService } from '../../rooms/room-service.js';
import { callerKey } from '../authenticate.js';
import { revokeIdentity, type IdentityRevoker } from '../revoke-identity.js';
import { defineRoute } from '../route.js';
import { participantParams } from '../schemas.js';

export interface ParticipantRoutesDeps extends IdentityRevoker {
  rooms: RoomService;
}

export function participantRoutes({ rooms, ...revoker }: ParticipantRoutesDeps, registry: OpenAPIRegistry): Router {
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
      errors: { 400: 'Invalid room id or identity', 404: 'No such room for this key' },
    },
    async ({ params, res }) => {
      await rooms.get(callerKey(res).id, params.id);
      await revokeIdentity(revoker, params.id, params.identity);
      return { status: 204 };
    },
  );
  return router;
}
