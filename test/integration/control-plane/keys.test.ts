import { describe, expect, it } from 'vitest';
import { parseApiKey } from '../../../src/auth/api-key.js';
import { ownerWebhookFilters, webhookHash } from '../../../src/events/event-keys.js';
import { RETIRING_KEYS } from '../../../src/auth/key-retirement.js';
import { roomKey } from '../../../src/rooms/room-repository.js';
import { waitFor } from '../../../bench/lib/wait.js';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { useRoomJoiner } from '../../helpers/room-joiner.js';
import { startWebhookReceiver } from '../../helpers/webhook-receiver.js';

const { t, redis } = useTestStack();
const { joined } = useRoomJoiner(t);

/** A participant of `roomId` with a token the key `apiKey` minted. */
const joinedWith = async (apiKey: string, roomId: string) => (await joined(roomId, 'guest', ['subscribe:all'], undefined, apiKey)).c;

describe('API keys', () => {
  it('creates a key that works, lists it without its secret, and stores no secret', async () => {
    const res = await t.api('/v1/keys', { method: 'POST', json: { name: 'ci' } });
    expect(res.status).toBe(201);
    const created = await readJson(res);
    expect(created).toMatchObject({ name: 'ci', source: 'api', created_by: parseApiKey(t.apiKey)!.id, key: expect.stringMatching(/^lc_pk_[A-Za-z0-9]+\.[A-Za-z0-9_-]+$/) });
    const secret = parseApiKey(created.key)!.secret;
    expect((await t.api('/v1/rooms', { key: created.key })).status).toBe(200);

    const listed = (await readJson(await t.api('/v1/keys'))).keys;
    expect(listed.map((k: { id: string }) => k.id)).toEqual([parseApiKey(t.apiKey)!.id, created.id]);
    expect(JSON.stringify(listed)).not.toContain(secret);

    for (const key of await redis.keys('*')) {
      const type = await redis.type(key);
      const dump = type === 'hash' ? JSON.stringify(await redis.hgetall(key)) : type === 'string' ? await redis.get(key) : '';
      expect(dump ?? '').not.toContain(secret);
    }
  });

  it('deletes a key it created; the deleted key stops working at once', async () => {
    const created = await readJson(await t.api('/v1/keys', { method: 'POST', json: {} }));
    expect((await t.api('/v1/rooms', { key: created.key })).status).toBe(200);
    expect((await t.api(`/v1/keys/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    const after = await t.api('/v1/rooms', { key: created.key });
    expect(after.status).toBe(401);
    expect((await readJson(after)).code).toBe('invalid_api_key');
    expect((await t.api(`/v1/keys/${created.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('cannot delete keys it did not create, nor config keys', async () => {
    const a = await readJson(await t.api('/v1/keys', { method: 'POST', json: {} }));
    const b = await readJson(await t.api('/v1/keys', { method: 'POST', json: {} }));
    expect((await t.api(`/v1/keys/${b.id}`, { method: 'DELETE', key: a.key })).status).toBe(404);
    expect((await readJson(await t.api('/v1/keys', { key: a.key }))).keys.map((k: { id: string }) => k.id)).toEqual([a.id]);
    const own = parseApiKey(t.apiKey)!.id;
    const res = await t.api(`/v1/keys/${own}`, { method: 'DELETE' });
    expect(res.status).toBe(409);
    expect((await readJson(res)).code).toBe('key_from_config');
    expect((await t.api(`/v1/keys/${own}`, { method: 'DELETE', key: a.key })).status).toBe(404);
    expect((await t.api('/v1/keys/bad..id', { method: 'DELETE' })).status).toBe(400);
  });
});

describe('key tree', () => {
  it('hands the keys of a deleted key to its creator', async () => {
    const parent = await readJson(await t.api('/v1/keys', { method: 'POST', json: { name: 'parent' } }));
    const child = await readJson(await t.api('/v1/keys', { method: 'POST', json: { name: 'child' }, key: parent.key }));
    expect((await t.api(`/v1/keys/${parent.id}`, { method: 'DELETE' })).status).toBe(204);
    const listed = (await readJson(await t.api('/v1/keys'))).keys;
    expect(listed.find((k: { id: string }) => k.id === child.id)).toMatchObject({ created_by: parseApiKey(t.apiKey)!.id });
    expect((await t.api('/v1/rooms', { key: child.key })).status).toBe(200);
    expect((await t.api(`/v1/keys/${child.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it("ends the live rooms and deletes the webhooks of every deleted key: a leaked key's room and webhook stop with it", async () => {
    const receiver = await startWebhookReceiver();
    try {
      const leaked = await readJson(await t.api('/v1/keys', { method: 'POST', json: { name: 'leaked' } }));
      const made = await readJson(await t.api('/v1/keys', { method: 'POST', json: { name: 'made by it' }, key: leaked.key }));
      const kept = await readJson(await t.api('/v1/keys', { method: 'POST', json: { name: 'kept' } }));
      const hooks: Record<string, string> = {};
      for (const k of [leaked, made, kept]) {
        hooks[k.id] = (await readJson(await t.api('/v1/webhooks', { method: 'POST', json: { url: receiver.url }, key: k.key }))).id;
        expect((await t.api('/v1/rooms', { method: 'POST', json: { external_id: `keydel-${k.id}` }, key: k.key })).status).toBe(201);
      }
      await waitFor(() => receiver.accepted().length === 3, { what: 'room.created for each key' });
      // Someone on the room of the key the leaked key made, and someone on the kept key's room.
      const onMade = await joinedWith(made.key, `r_keydel-${made.id}`);
      const onKept = await joinedWith(kept.key, `r_keydel-${kept.id}`);

      expect((await t.api(`/v1/keys/${leaked.id}?cascade=true`, { method: 'DELETE' })).status).toBe(204);
      expect(await onMade.waitEvent('room-ended')).toEqual({ reason: 'host_ended' });
      const room = JSON.parse((await redis.get(roomKey(`r_keydel-${made.id}`)))!) as { state: string; ended_reason: string };
      expect([room.state, room.ended_reason]).toEqual(['ended', 'host_ended']);
      expect(onKept.events.filter((e) => e.event === 'room-ended')).toEqual([]);
      for (const k of [leaked, made]) {
        expect(await redis.exists(ownerWebhookFilters(k.id), webhookHash(hooks[k.id]!))).toBe(0);
        // An event of the deleted key's room is recorded but queued for no webhook.
        await t.stack.control.events.emit({ id: `r_keydel-${k.id}`, owner: k.id }, 'participant.joined', { participant_id: 'p_1', identity: 'late' });
      }
      await t.stack.control.events.emit({ id: `r_keydel-${kept.id}`, owner: kept.id }, 'participant.joined', { participant_id: 'p_1', identity: 'late' });
      const late = () => receiver.accepted().filter((e) => e.data['identity'] === 'late').map((e) => e.room_id);
      await waitFor(() => late().length > 0, { what: "the kept key's late event" });
      await new Promise((r) => setTimeout(r, 300));
      // Only the kept key's webhook heard of what happened after the delete.
      expect(late()).toEqual([`r_keydel-${kept.id}`]);
      expect((await readJson(await t.api('/v1/webhooks', { key: kept.key }))).webhooks.map((w: { id: string }) => w.id)).toEqual([hooks[kept.id]]);

      // Without cascade too: the key's own webhooks go, the keys it made (and theirs) move up.
      const retired = await readJson(await t.api('/v1/keys', { method: 'POST', json: {} }));
      const hook = (await readJson(await t.api('/v1/webhooks', { method: 'POST', json: { url: receiver.url }, key: retired.key }))).id;
      expect((await t.api(`/v1/keys/${retired.id}`, { method: 'DELETE' })).status).toBe(204);
      expect(await redis.exists(webhookHash(hook))).toBe(0);
      // Nothing left half done.
      expect(await redis.zrange(RETIRING_KEYS, 0, -1)).toEqual([]);
    } finally {
      await receiver.close();
    }
  });

  it('finishes a deletion whose process died before stopping what the keys made: the next sweep ends their rooms and deletes their webhooks', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const leaked = await readJson(await t.api('/v1/keys', { method: 'POST', json: { name: 'leaked' } }));
      const made = await readJson(await t.api('/v1/keys', { method: 'POST', json: { name: 'made by it' }, key: leaked.key }));
      const hooks: string[] = [];
      for (const k of [leaked, made]) {
        hooks.push((await readJson(await t.api('/v1/webhooks', { method: 'POST', json: { url: receiver.url }, key: k.key }))).id);
        expect((await t.api('/v1/rooms', { method: 'POST', json: { external_id: `sweep-${k.id}` }, key: k.key })).status).toBe(201);
      }
      const onMade = await joinedWith(made.key, `r_sweep-${made.id}`);

      // What the DELETE route does first, and then the process is gone: the keys are deleted (and
      // marked retiring in the same step, under the request's lease), their rooms and webhooks untouched.
      expect(await t.stack.control.keys.delete(parseApiKey(t.apiKey)!.id, leaked.id, true)).toEqual(expect.arrayContaining([leaked.id, made.id]));
      expect((await redis.zrange(RETIRING_KEYS, 0, -1)).sort()).toEqual([leaked.id, made.id].sort());
      expect(JSON.parse((await redis.get(roomKey(`r_sweep-${made.id}`)))!).state).toBe('active');
      expect(await redis.exists(...hooks.map(webhookHash))).toBe(2);
      // While the lease holds, a sweep leaves them to the request (which may still be on them).
      expect(await t.stack.control.retirement.sweep()).toBe(0);
      expect(JSON.parse((await redis.get(roomKey(`r_sweep-${made.id}`)))!).state).toBe('active');

      // A minute later the lease has lapsed (set here, not waited for); what every node runs every 30 s takes them.
      await redis.zadd(RETIRING_KEYS, 0, leaked.id, 0, made.id);
      await t.stack.control.retirement.sweep();
      expect(await onMade.waitEvent('room-ended')).toEqual({ reason: 'host_ended' });
      for (const k of [leaked, made]) {
        const room = JSON.parse((await redis.get(roomKey(`r_sweep-${k.id}`)))!) as { state: string; ended_reason: string };
        expect([room.state, room.ended_reason]).toEqual(['ended', 'host_ended']);
      }
      expect(await redis.exists(...hooks.map(webhookHash))).toBe(0);
      expect(await redis.zrange(RETIRING_KEYS, 0, -1)).toEqual([]);
      // A second sweep (another node's, say) finds nothing to do.
      expect(await t.stack.control.retirement.sweep()).toBe(0);
    } finally {
      await receiver.close();
    }
  });
});
