// The REST API's request and response shapes. They validate every request and generate the
// OpenAPI document, and the Node SDK's types come from them: one source of truth.
import { z } from 'zod';
import { capabilitySchema } from '../auth/capabilities.js';
import { MAX_TOKEN_TTL_S, TOKEN_ALGS } from '../auth/room-token.js';
import { ROOM_EVENT_TYPES } from '../events/room-event.js';
import { WEBHOOK_BACKLOG_MAX, WEBHOOK_QUEUE_MAX } from '../events/event-keys.js';
import { deliveryAttemptSchema } from '../webhooks/delivery-log.js';
import { externalIdSchema, roomIdSchema } from '../../common/room-id.js';
import { ROOM_STATES } from '../rooms/room.js';
import { CODECS, hlsDvrWindowSchema, hlsRenditionsSchema, regionSchema, roomConfigSchema, roomTypeSchema } from '../rooms/room-types.js';

/** A request body: an object of `shape` that refuses unknown fields, named `id` in the OpenAPI document. */
export function requestBody<T extends z.ZodRawShape>(id: string, shape: T) {
  return z.object(shape).strict().meta({ id });
}

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().meta({ description: 'Stable machine-readable error code.' }),
    detail: z.string().optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details.' });

export const createRoomBody = requestBody('CreateRoomRequest', {
  external_id: externalIdSchema.optional().meta({ description: 'Your deterministic id; the room id becomes `r_<external_id>`. Creating it again returns the existing room (200).' }),
  type: roomTypeSchema.default('meeting').meta({ description: '`live` is an alias of `broadcast`.' }),
  config: roomConfigSchema.optional(),
});

export const roomSchema = z
  .object({
    id: roomIdSchema,
    external_id: z.string().nullable(),
    type: roomTypeSchema,
    config: z.object({
      max_participants: z.number().int().nullable(),
      max_publishers: z.number().int().nullable(),
      preferred_codec: z.enum(CODECS),
      record: z.object({ enabled: z.boolean() }),
      e2ee: z.boolean(),
      region_hint: regionSchema.nullable(),
      hls: z.boolean().meta({ description: 'Whether the room is also delivered as LL-HLS (off for e2ee rooms).' }),
      registration: z.enum(['off', 'open', 'approval']).meta({ description: 'Audience tokens only for registrants (webinar default `open`).' }),
      hls_renditions: hlsRenditionsSchema,
      hls_dvr_window_s: hlsDvrWindowSchema,
    }),
    state: z.enum(ROOM_STATES),
    created_at: z.string(),
    transitions: z.array(z.object({ state: z.enum(ROOM_STATES), at: z.string() })),
    ended_reason: z.enum(['empty', 'host_ended']).nullable(),
    participant_count: z.number().int(),
    promoted: z.boolean().meta({ description: 'A hybrid room that was promoted to a broadcast.' }),
    parent_id: z.string().nullable().meta({ description: 'For a breakout room: the room it was split from.' }),
  })
  .meta({ id: 'Room' });

export const roomWithHlsSchema = roomSchema
  .extend({
    hls: z
      .object({
        state: z.enum(['live', 'ended', 'failed']),
        url: z.string().meta({ description: 'Multivariant playlist, relative to the node: /hls/{room_id}/master.m3u8' }),
        on_air: z.object({ participant_id: z.string(), identity: z.string() }).nullable(),
        updated_at: z.string(),
        error: z.string().optional(),
      })
      .nullable()
      .meta({ description: 'LL-HLS delivery; null until the room first went on air.' }),
    viewers: z
      .object({
        count: z.number().int().meta({ description: 'Viewers whose player reported in the last `window_s` seconds (WebRTC and LL-HLS).' }),
        capped: z.boolean().meta({ description: 'The window holds at most 1000 viewers: `count` is then a floor and the percentiles those of a sample.' }),
        latency_p50_s: z.number().nullable(),
        latency_p95_s: z.number().nullable(),
        window_s: z.number(),
      })
      .meta({ description: "Glass-to-glass latency the room's players report (POST /v1/rooms/{id}/telemetry): each viewer's latest report, cluster-wide (kept in Redis)." }),
  })
  .meta({ id: 'RoomWithHls' });

export const listRoomsQuery = z
  .object({
    state: z.enum(ROOM_STATES).optional(),
    type: roomTypeSchema.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(400).optional(),
  })
  .strict();

export const roomListSchema = z.object({ rooms: z.array(roomSchema), next_cursor: z.string().nullable() }).meta({ id: 'RoomList' });

export const roomIdParams = z.object({ id: roomIdSchema }).strict();

/** Who a token is for: any printable text (the integrator's user id). */
export const identitySchema = z.string().min(1).max(128).regex(/^[^\u0000-\u001f]+$/, 'must not contain control characters');

export const createTokenBody = requestBody('CreateTokenRequest', {
  identity: identitySchema,
  name: z.string().max(256).optional(),
  capabilities: z.array(capabilitySchema).max(16),
  ttl_s: z.number().int().min(60).max(MAX_TOKEN_TTL_S).default(3600),
  metadata: z.string().max(4096).optional(),
  type: roomTypeSchema.optional().meta({ description: 'Room type when the room is created on the fly (default meeting).' }),
  region: regionSchema
    .optional()
    .meta({ description: "The viewer's region: audience tokens (subscribe, chat, reactions only) get the signaling URL of a node there when the room spans several nodes." }),
  alg: z
    .enum(TOKEN_ALGS)
    .default('HS256')
    .meta({
      description:
        '`HS256`: signed with the API key\'s derived secret, `kid` = API key id. `EdDSA`: signed with the cluster\'s Ed25519 key, `kid` = that key\'s id (`ed_…`), ' +
        'claim `key_id` = the API key id; anyone can verify it with the public keys at `/v1/.well-known/jwks.json`.',
    }),
});

export const jwksSchema = z
  .object({
    keys: z.array(
      z.object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string(), kid: z.string(), alg: z.literal('EdDSA'), use: z.literal('sig') }),
    ),
  })
  .meta({ id: 'JsonWebKeySet', description: 'Public keys of the EdDSA room tokens (RFC 7517).' });

export const tokenSchema = z
  .object({ token: z.string(), room_id: roomIdSchema, signaling_url: z.string(), expires_at: z.string() })
  .meta({ id: 'RoomToken' });

export const participantParams = z.object({ id: roomIdSchema, identity: z.string().min(1).max(128) }).strict();

export const createKeyBody = requestBody('CreateKeyRequest', { name: z.string().max(128).optional() });

export const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    source: z.enum(['config', 'api']),
    created_by: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'ApiKey' });

export const createdKeySchema = apiKeySchema.extend({ key: z.string().meta({ description: 'lc_pk_<id>.<secret>; shown only once.' }) }).meta({ id: 'CreatedApiKey' });

export const keyIdParams = z.object({ id: z.string().regex(/^[A-Za-z0-9]{8,64}$/) }).strict();

export const deleteKeyQuery = z
  .object({
    cascade: z
      .enum(['true', 'false'])
      .default('false')
      .meta({ description: '`true`: delete every key below it too (revoke a leaked key and all it made); `false`: hand them to its creator.' }),
  })
  .strict();

export const webhookUrlSchema = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .meta({ description: 'http(s) URL that receives POSTed events.' });

export const createWebhookBody = requestBody('CreateWebhookRequest', { url: webhookUrlSchema, events: z.array(z.enum(ROOM_EVENT_TYPES)).min(1).max(ROOM_EVENT_TYPES.length).optional() });

export const webhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.enum(ROOM_EVENT_TYPES)).nullable(),
    created_at: z.string(),
    dropped_events: z
      .number()
      .int()
      .meta({
        description:
          `Events not delivered because this webhook already had ${WEBHOOK_QUEUE_MAX} waiting for their room, or ${WEBHOOK_BACKLOG_MAX} over all its rooms ` +
          '(a receiver down for long): read the rooms from the API to catch up.',
      }),
    queued_events: z
      .number()
      .int()
      .meta({ description: `Events waiting for delivery to this webhook now, over all its rooms (at most ${WEBHOOK_BACKLOG_MAX}): how far its receiver is behind.` }),
  })
  .meta({ id: 'Webhook' });

export const createdWebhookSchema = webhookSchema
  .extend({ secret: z.string().meta({ description: 'Signing secret for LevelChat-Signature; shown only once.' }) })
  .meta({ id: 'CreatedWebhook' });

export const webhookIdParams = z.object({ id: z.string().regex(/^wh_[A-Za-z0-9]{1,32}$/) }).strict();

export const deliveriesQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }).strict();

/** A delivery attempt as the delivery log keeps it. */
export const deliverySchema = deliveryAttemptSchema
  .extend({
    status: deliveryAttemptSchema.shape.status.meta({ description: '`retrying`: failed, another attempt follows; `dropped`: the last attempt failed.' }),
    error: deliveryAttemptSchema.shape.error.meta({
      description: '`destination_refused` (not a public address), `connect_failed`, `timeout` or `http_<status>`; never the socket\'s error. Null when delivered.',
    }),
  })
  .meta({ id: 'WebhookDelivery' });

export const webhookEventSchema = z
  .object({ id: z.string(), type: z.enum(ROOM_EVENT_TYPES), room_id: z.string(), created_at: z.string(), data: z.record(z.string(), z.unknown()) })
  .meta({ id: 'WebhookEvent', description: 'Body of every webhook delivery; `id` is the same on every retry.' });

export const keyListSchema = z.object({ keys: z.array(apiKeySchema) }).meta({ id: 'ApiKeyList' });
export const webhookListSchema = z.object({ webhooks: z.array(webhookSchema) }).meta({ id: 'WebhookList' });
export const deliveryListSchema = z.object({ deliveries: z.array(deliverySchema) }).meta({ id: 'WebhookDeliveryList' });
