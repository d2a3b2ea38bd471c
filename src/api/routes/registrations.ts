import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Capability } from '../../auth/capabilities.js';
import type { TokenMinter } from '../../auth/token-minter.js';
import type { Registration, RegistrationStore } from '../../rooms/registrations.js';
import type { RoomService } from '../../rooms/room-service.js';
import type { Room } from '../../rooms/room.js';
import { hlsUrl } from '../../hls/hls-status.js';
import { callerKey } from '../authenticate.js';
import { ProblemError } from '../../../common/problem.js';
import { revokeIdentity, type IdentityRevoker } from '../revoke-identity.js';
import { defineRoomList } from '../resource-routes.js';
import { defineRoute } from '../route.js';
import { identitySchema, requestBody, roomIdParams } from '../schemas.js';
import { publicBase, signalingUrl } from './tokens.js';

/** What a registrant may do: watch, chat, react, ask. */
const REGISTRANT_CAPABILITIES: Capability[] = ['subscribe:all', 'chat:send', 'reactions:send'];
const REGISTRANT_TTL_S = 7 * 24 * 3600;

const registerBody = requestBody('RegisterRequest', {
  identity: identitySchema,
  name: z.string().max(256).optional(),
  email: z.email().max(320).optional(),
  metadata: z.string().max(4096).optional(),
});

const registrationSchema = z
  .object({
    id: z.string(),
    identity: z.string(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    metadata: z.string().nullable(),
    state: z.enum(['pending', 'approved', 'rejected']),
    created_at: z.string(),
  })
  .meta({ id: 'Registration' });

const admissionSchema = z
  .object({
    registration: registrationSchema,
    token: z.string().nullable(),
    signaling_url: z.string().nullable(),
    join_url: z.string().nullable().meta({ description: 'A link to the demo console that joins with this token (in the URL fragment, never the query).' }),
    playback_url: z.string().nullable().meta({ description: 'The LL-HLS master playlist with this registrant\'s playback token.' }),
  })
  .meta({ id: 'RegistrationAdmission' });

const registrationParams = z.object({ id: roomIdParams.shape.id, registration_id: z.string().regex(/^reg_[0-9a-f]{16}$/) }).strict();

export interface RegistrationRoutesDeps extends IdentityRevoker {
  rooms: RoomService;
  registrations: RegistrationStore;
  minter: TokenMinter;
  publicUrl: string | undefined;
}

export function registrationRoutes({ rooms, registrations, minter, publicUrl, ...revoker }: RegistrationRoutesDeps, registry: OpenAPIRegistry): Router {
  const router = Router();
  const tag = 'Registrations';

  async function admission(room: Room, registration: Registration, req: Request) {
    if (registration.state !== 'approved') return { registration, token: null, signaling_url: null, join_url: null, playback_url: null };
    const { token } = await minter.mint(room.owner, {
      roomId: room.id,
      identity: registration.identity,
      name: registration.name,
      capabilities: REGISTRANT_CAPABILITIES,
      metadata: registration.metadata,
      ttlS: REGISTRANT_TTL_S,
    });
    const base = publicBase(publicUrl, req);
    const playback = await minter.mintPlayback(room.owner, room.id, registration.identity);
    return {
      registration,
      token,
      signaling_url: signalingUrl(publicUrl, req),
      // In the fragment, which browsers never send to a server or put in a Referer.
      join_url: `${base}/#room=${room.id}&token=${token}`,
      playback_url: `${base}${hlsUrl(room.id)}?token=${playback}`,
    };
  }

  async function registrable(owner: string, id: string): Promise<Room> {
    const room = await rooms.get(owner, id);
    rooms.assertJoinable(room);
    if (room.config.registration === 'off') throw new ProblemError('registration_off', 'set config.registration to open or approval');
    return room;
  }

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/rooms/:id/registrations',
      tag,
      summary: 'Register an attendee',
      description:
        'With `registration: open` the registrant is approved at once and gets a personal token and join link; with `approval` ' +
        'the registration waits (202) for POST …/approve. Registering the same identity again returns its registration.',
      params: roomIdParams,
      body: registerBody,
      responses: { 201: { description: 'Registered (and approved)', schema: admissionSchema }, 202: { description: 'Awaiting approval', schema: admissionSchema }, 200: { description: 'Already registered', schema: admissionSchema } },
      errors: { 400: 'Invalid body', 404: 'No such room for this key', 409: 'Registration is off, or the room ended' },
    },
    async ({ params, body, req, res }) => {
      const room = await registrable(callerKey(res).id, params.id);
      const { registration, created } = await registrations.register(room.id, body, room.config.registration === 'open' ? 'approved' : 'pending');
      return { status: !created ? 200 : registration.state === 'approved' ? 201 : 202, body: await admission(room, registration, req) };
    },
  );

  defineRoomList(
    router,
    registry,
    rooms,
    { key: 'registrations', tag, summary: 'List registrations', item: registrationSchema, listId: 'RegistrationList', listed: 'Registrations, oldest first' },
    (_owner, roomId) => registrations.list(roomId),
  );

  for (const decision of ['approve', 'reject'] as const) {
    defineRoute(
      router,
      registry,
      {
        method: 'post',
        path: `/v1/rooms/:id/registrations/:registration_id/${decision}`,
        tag,
        summary: decision === 'approve' ? 'Approve a registration (returns the token and join link)' : 'Reject a registration',
        description:
          decision === 'approve'
            ? 'Approves the registrant and issues its room token, join link and playback URL.'
            : "Revokes what an approval issued (room and playback tokens: a join or an LL-HLS request with them is refused) and disconnects the registrant's live sessions. Approving again issues new ones.",
        params: registrationParams,
        responses: { 200: { description: 'The decision', schema: admissionSchema } },
        errors: { 400: 'Invalid id', 404: 'No such room or registration', 409: 'Registration is off, or the room ended' },
      },
      async ({ params, req, res }) => {
        const room = await registrable(callerKey(res).id, params.id);
        const registration = await registrations.decide(room.id, params.registration_id, decision === 'approve' ? 'approved' : 'rejected');
        if (!registration) throw new ProblemError('registration_not_found');
        // What an approval handed out must stop working: the registrant's tokens, and any session they hold.
        if (decision === 'reject') await revokeIdentity(revoker, room.id, registration.identity);
        return { status: 200, body: await admission(room, registration, req) };
      },
    );
  }
  return router;
}
