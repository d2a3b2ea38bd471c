// The SDK's types are the server's own zod schemas, so they cannot drift from the API: requests are
// `z.input` (fields with a server default stay optional), responses `z.infer`. The imports are
// type-only, so loading the SDK never loads the server's code.
import type { z } from 'zod';
import type * as api from '../../src/api/schemas.js';

export type CreateRoomRequest = z.input<typeof api.createRoomBody>;
// `limit` is `z.coerce`d from the query string, so its input type is `unknown`: pin it to a number.
export type ListRoomsQuery = Omit<z.input<typeof api.listRoomsQuery>, 'limit'> & { limit?: number };
export type Room = z.infer<typeof api.roomSchema>;
/** `rooms.get` also reports the room's LL-HLS delivery. */
export type RoomWithHls = z.infer<typeof api.roomWithHlsSchema>;
export type RoomList = z.infer<typeof api.roomListSchema>;

export type CreateTokenRequest = z.input<typeof api.createTokenBody>;
export type RoomToken = z.infer<typeof api.tokenSchema>;

export type CreateKeyRequest = z.input<typeof api.createKeyBody>;
export type ApiKey = z.infer<typeof api.apiKeySchema>;
export type CreatedApiKey = z.infer<typeof api.createdKeySchema>;
export type ApiKeyList = z.infer<typeof api.keyListSchema>;

export type CreateWebhookRequest = z.input<typeof api.createWebhookBody>;
export type Webhook = z.infer<typeof api.webhookSchema>;
export type CreatedWebhook = z.infer<typeof api.createdWebhookSchema>;
export type WebhookList = z.infer<typeof api.webhookListSchema>;
export type DeliveriesQuery = Omit<z.input<typeof api.deliveriesQuery>, 'limit'> & { limit?: number };
export type WebhookDelivery = z.infer<typeof api.deliverySchema>;
export type WebhookDeliveryList = z.infer<typeof api.deliveryListSchema>;

/** The body of every webhook delivery. */
export type RoomEvent = z.infer<typeof api.webhookEventSchema>;
/** An error answer of the API (RFC 9457 problem+json). */
export type Problem = z.infer<typeof api.problemSchema>;
