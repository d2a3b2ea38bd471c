// A webhook whose receiver is down does not queue events without end: each (webhook, room) queue
// holds WEBHOOK_QUEUE_MAX events and all of a webhook's queues together WEBHOOK_BACKLOG_MAX; later ones
// are counted on the webhook (dropped_events) instead, and the room's stream, other rooms and other
// webhooks are unaffected. Real Redis, the real emitting Lua; nothing delivers here (the queues only fill).
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  roomEventStream, WEBHOOK_BACKLOG_MAX, WEBHOOK_DROPPED_COUNT, WEBHOOK_QUEUE_MAX, WEBHOOK_QUEUED_FIELD, webhookHash, webhookRoomQueue,
} from '../../../src/events/event-keys.js';
import { RoomEventEmitter } from '../../../src/events/room-event-emitter.js';
import { WebhookStore } from '../../../src/webhooks/webhook-store.js';
import { freshRedisDb } from '../../helpers/test-stack.js';

describe('webhook delivery queues are bounded', () => {
  let redis: Redis;
  const filled: string[] = [];
  beforeAll(async () => {
    redis = new Redis(await freshRedisDb());
  });
  afterAll(() => redis.quit());

  it(`holds ${WEBHOOK_QUEUE_MAX} events per webhook and room, and counts the rest as dropped on that webhook`, async () => {
    const webhooks = new WebhookStore(redis);
    const events = new RoomEventEmitter(redis, { queuesFilled: async (queues) => void filled.push(...queues) });
    const all = await webhooks.create('k_owner', 'k_owner', 'https://hooks.example.com/all', null);
    const chat = await webhooks.create('k_owner', 'k_owner', 'https://hooks.example.com/hands', ['participant.hand_raised']);
    if (all === 'limit' || chat === 'limit') throw new Error('webhook limit');
    const busy = { id: 'r_busy', owner: 'k_owner' };
    const calm = { id: 'r_calm', owner: 'k_owner' };

    const extra = 7;
    for (let i = 0; i < WEBHOOK_QUEUE_MAX + extra; i++) await events.emit(busy, 'participant.joined', { participant_id: `p_${i}`, identity: `u${i}` });
    await events.emit(busy, 'participant.hand_raised', { participant_id: 'p_0', identity: 'u0' });
    await events.emit(calm, 'participant.joined', { participant_id: 'p_calm', identity: 'calm' });

    // The full queue kept its first WEBHOOK_QUEUE_MAX events, in order; the later ones are counted.
    const busyQueue = webhookRoomQueue(all.webhook.id, busy.id);
    expect(await redis.llen(busyQueue)).toBe(WEBHOOK_QUEUE_MAX);
    const [first, last] = [await redis.lindex(busyQueue, 0), await redis.lindex(busyQueue, -1)].map((e) => JSON.parse(e!) as { data: { identity: string } });
    expect([first!.data.identity, last!.data.identity]).toEqual(['u0', `u${WEBHOOK_QUEUE_MAX - 1}`]);
    expect((await webhooks.get('k_owner', all.webhook.id))?.dropped_events).toBe(extra + 1);
    // And the cluster-wide count behind levelchat_webhook_events_dropped_total.
    expect(await redis.get(WEBHOOK_DROPPED_COUNT)).toBe(String(extra + 1));
    // Another room's queue, another webhook and the room's own stream are unaffected.
    expect(await redis.llen(webhookRoomQueue(all.webhook.id, calm.id))).toBe(1);
    expect(await redis.llen(webhookRoomQueue(chat.webhook.id, busy.id))).toBe(1);
    expect((await webhooks.get('k_owner', chat.webhook.id))?.dropped_events).toBe(0);
    expect(await redis.xlen(roomEventStream(busy.id))).toBeGreaterThanOrEqual(WEBHOOK_QUEUE_MAX);
    // Each queue asked for a delivery job once, when it stopped being empty.
    expect(filled.sort()).toEqual([busyQueue, webhookRoomQueue(all.webhook.id, calm.id), webhookRoomQueue(chat.webhook.id, busy.id)].sort());
    // The webhook counts what its queues hold.
    expect(await redis.hget(webhookHash(all.webhook.id), WEBHOOK_QUEUED_FIELD)).toBe(String(WEBHOOK_QUEUE_MAX + 1));
  });

  it(`holds ${WEBHOOK_BACKLOG_MAX} events per webhook over all its rooms, however many rooms there are`, async () => {
    const webhooks = new WebhookStore(redis);
    const events = new RoomEventEmitter(redis, { queuesFilled: async () => {} });
    const hook = await webhooks.create('k_rooms', 'k_rooms', 'https://hooks.example.com/rooms', null);
    if (hook === 'limit') throw new Error('webhook limit');
    // A tenant making room after room, each well under the per-room bound: 200 events in each of 250 rooms.
    const perRoom = 200;
    const rooms = WEBHOOK_BACKLOG_MAX / perRoom;
    for (let r = 0; r < rooms; r++) {
      const room = { id: `r_many-${r}`, owner: 'k_rooms' };
      await Promise.all(Array.from({ length: perRoom }, (_, i) => events.emit(room, 'participant.joined', { participant_id: `p_${i}`, identity: `u${i}` })));
    }
    expect(await redis.hget(webhookHash(hook.webhook.id), WEBHOOK_QUEUED_FIELD)).toBe(String(WEBHOOK_BACKLOG_MAX));
    expect((await webhooks.get('k_rooms', hook.webhook.id))?.queued_events).toBe(WEBHOOK_BACKLOG_MAX);
    // Full: a room it has never seen gets nothing queued, an older one nothing more; both are counted.
    await events.emit({ id: 'r_new', owner: 'k_rooms' }, 'room.created', {});
    await events.emit({ id: 'r_many-0', owner: 'k_rooms' }, 'participant.left', { participant_id: 'p_0', identity: 'u0', reason: 'left' });
    expect(await redis.exists(webhookRoomQueue(hook.webhook.id, 'r_new'))).toBe(0);
    expect(await redis.llen(webhookRoomQueue(hook.webhook.id, 'r_many-0'))).toBe(perRoom);
    expect((await webhooks.get('k_rooms', hook.webhook.id))?.dropped_events).toBe(2);
    // The room's own stream still has the event; another tenant's webhook is unaffected.
    expect(await redis.xlen(roomEventStream('r_new'))).toBe(1);
    const other = await webhooks.create('k_other', 'k_other', 'https://hooks.example.com/other', null);
    if (other === 'limit') throw new Error('webhook limit');
    await events.emit({ id: 'r_other', owner: 'k_other' }, 'room.created', {});
    expect(await redis.llen(webhookRoomQueue(other.webhook.id, 'r_other'))).toBe(1);
  }, 60_000);
});
