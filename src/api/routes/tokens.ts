import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router, type Request } from 'express';
import { isAudience } from '../../auth/capability-rules.js';
import type { TokenMinter } from '../../auth/token-minter.js';
import type { ClusterNode } from '../../cluster/cluster-node.js';
import type { RegistrationStore } from '../../rooms/registrations.js';
import type { RoomService } from '../../rooms/room-service.js';
import { canJoinEdge } from '../../cluster/placement.js';
import { signalingUrlOf } from '../../signaling/protocol.js';
import { callerKey } from '../authenticate.js';
import { ProblemError } from '../../../common/problem.js';
import { defineRoute } from '../route.js';
import { createTokenBody, roomIdParams, tokenSchema } from '../schemas.js';

export interface TokenRoutesDeps {
  rooms: RoomService;
  minter: TokenMinter;
  registrations: RegistrationStore;
  /** Where clients connect; derived from the request when not configured. */
  publicUrl: string | undefined;
  cluster: Pick<ClusterNode, 'id' | 'placement'>;
}

export function publicBase(publicUrl: string | undefined, req: Request): string {
  return (publicUrl ?? `${req.protocol}://${req.get('host')}`).replace(/\/$/, '');
}

export function signalingUrl(publicUrl: string | undefined, req: Request): string {
  return signalingUrlOf(publicBase(publicUrl, req));
}

export function tokenRoutes({ rooms, minter, registrations, publicUrl, cluster }: TokenRoutesDeps, registry: OpenAPIRegistry): Router {
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
        'A JWT (HS256, `kid` = API key id; or EdDSA with `alg`) for one identity in one room with exactly the given capabilities. ' +
        'If the room does not exist it is created on the fly with the defaults of `type` (default meeting). ' +
        'In rooms with registration on (webinars by default), audience tokens (no publish or moderation capability) ' +
        'are only minted for approved registrants (403 `registration_required`).',
      params: roomIdParams,
      body: createTokenBody,
      responses: { 201: { description: 'The token', schema: tokenSchema } },
      errors: {
        400: 'Invalid body (unknown capability, bad identity, unknown alg...)',
        403: 'The identity is not an approved registrant (registration_required)',
        404: 'The id belongs to another key',
        409: 'Room archived (room_archived) or ended by its host (room_ended)',
      },
    },
    async ({ params, body, req, res }) => {
      const key = callerKey(res);
      const room = await rooms.getOrCreate(key.id, params.id, body.type ?? 'meeting');
      rooms.assertJoinable(room);
      if (room.config.registration !== 'off' && isAudience(body.capabilities)) {
        const registration = await registrations.byIdentity(room.id, body.identity);
        if (registration?.state !== 'approved') {
          throw new ProblemError('registration_required', 'this room admits its audience by registration: register the identity first (POST /v1/rooms/{id}/registrations)');
        }
      }
      const minted = await minter.mint(
        key.id,
        {
          roomId: room.id,
          identity: body.identity,
          name: body.name,
          capabilities: body.capabilities,
          metadata: body.metadata,
          ttlS: body.ttl_s,
        },
        body.alg,
      );
      // Publishers and moderators join the room's origin node; an audience member joins the node
      // placement picks for it (the origin while it has room, else an edge near the viewer). A
      // node that is this one keeps the URL the client used, which knows about proxies and TLS.
      const node = canJoinEdge(body.capabilities)
        ? await cluster.placement.nodeForViewer(room.id, room.config.region_hint, body.region ?? null)
        : (await cluster.placement.originFor(room.id, room.config.region_hint)).origin;
      const signaling = node.id === cluster.id ? signalingUrl(publicUrl, req) : signalingUrlOf(node.url);
      return {
        status: 201,
        body: { token: minted.token, room_id: room.id, signaling_url: signaling, expires_at: minted.expiresAt.toISOString() },
      };
    },
  );
  return router;
}
