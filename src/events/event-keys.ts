// Redis layout of room events and of the webhook delivery queues they feed. The Lua in
// emit-script.ts builds the same names; keep both in step.
import type { Redis } from 'ioredis';
import { channelFor } from '../../common/pubsub-channel.js';

/** The ordered, bounded stream of one room's events. */
export const roomEventStream = (roomId: string) => `lc:room:${roomId}:events`;

/** Pub/sub channel every node listens on for room events (signaling, SFU). */
export const roomEventsChannel = (redis: Redis) => channelFor(redis, 'room-events');

/** Per owner key: webhook id → the event types it wants (`*` or `,a,b,`). */
export const ownerWebhookFilters = (ownerKeyId: string) => `lc:webhooks:owner:${ownerKeyId}`;

/** Events waiting for delivery to one webhook, for one room, in order. */
export const webhookRoomQueue = (webhookId: string, roomId: string) => `lc:wh:q:${webhookId}:${roomId}`;

/** Every non-empty delivery queue, so a restart can resume them. */
export const WEBHOOK_QUEUES_SET = 'lc:wh:queues';

export const ROOM_EVENT_STREAM_MAXLEN = 1000;

/** Pub/sub channel for commands to the nodes holding a room's participants (kick, stage invitations). */
export const roomControlChannel = (redis: Redis) => channelFor(redis, 'room-control');
