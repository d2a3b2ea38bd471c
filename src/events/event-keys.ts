// Redis layout of room events and of the webhook delivery queues they feed. The Lua in
// emit-script.ts builds its keys from these functions (luaKey).
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

/** One webhook's hash (its URL, secret, filter, and `dropped_events`). */
export const webhookHash = (webhookId: string) => `lc:webhook:${webhookId}`;

/**
 * Events one delivery queue (a webhook, a room) holds. A receiver that is down is retried for over
 * 24 h per event, so a busy room would queue without end: past this, the room's new events are not
 * queued for that webhook, and its `dropped_events` counts them (the receiver catches up from the
 * REST API). The events still go to the room's stream and to every other webhook.
 */
export const WEBHOOK_QUEUE_MAX = 1000;

/**
 * Events one webhook holds over all its rooms' queues (the count is its hash's `queued` field). The
 * per-room bound alone lets the number of rooms multiply it, and rooms are cheap to create: past this,
 * no room's new events are queued for that webhook, counted in `dropped_events` the same way. ~20 MB of
 * Redis per webhook at ~400 bytes an event; a receiver down for 10 minutes loses nothing below ~80
 * events/s for the webhook.
 */
export const WEBHOOK_BACKLOG_MAX = 50_000;

/** The webhook hash's field counting the events its queues hold (see WEBHOOK_BACKLOG_MAX). */
export const WEBHOOK_QUEUED_FIELD = 'queued';

/** Events not queued because a webhook's queue for their room was full, cluster-wide, ever (a metric). */
export const WEBHOOK_DROPPED_COUNT = 'lc:wh:dropped';

/** Every non-empty delivery queue, so a restart can resume them. */
export const WEBHOOK_QUEUES_SET = 'lc:wh:queues';

export const ROOM_EVENT_STREAM_MAXLEN = 1000;

/** Pub/sub channel for commands to the nodes holding a room's participants (kick, stage invitations). */
export const roomControlChannel = (redis: Redis) => channelFor(redis, 'room-control');
