import { describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../../src/webhooks/signature.js';
import { readJson, useTestStack, type TestStack } from '../../helpers/test-stack.js';
import { startWebhookReceiver } from '../../helpers/webhook-receiver.js';
import { waitFor } from '../../../bench/lib/wait.js';
import { WEBHOOK_QUEUED_FIELD, webhookHash } from '../../../src/events/event-keys.js';

const { t, redis } = useTestStack();

/** A fresh key (so each test sees only its own rooms' events) and a helper bound to it. */
async function tenant() {
  const created = await readJson(await t.api('/v1/keys', { method: 'POST', json: {} }));
  return (path: string, init: Parameters<TestStack['api']>[1] = {}) => t.api(path, { ...init, key: created.key });
}

describe('webhooks', () => {
  it('delivers signed events with the documented body', async () => {
    const as = await tenant();
    const receiver = await startWebhookReceiver();
    try {
      const hook = await readJson(await as('/v1/webhooks', { method: 'POST', json: { url: receiver.url } }));
      expect(hook).toMatchObject({ id: expect.stringMatching(/^wh_/), url: receiver.url, events: null, secret: expect.stringMatching(/^whsec_/) });
      await as('/v1/rooms', { method: 'POST', json: { external_id: 'hooked' } });
      await as('/v1/rooms/r_hooked', { method: 'DELETE' });
      await waitFor(() => receiver.accepted().length === 2, { what: 'two deliveries' });
      const [created, ended] = receiver.accepted();
      expect(created).toMatchObject({ type: 'room.created', room_id: 'r_hooked', id: expect.stringMatching(/^evt_/) });
      expect(ended).toMatchObject({ type: 'room.ended', room_id: 'r_hooked', data: { reason: 'host_ended' } });
      for (const d of receiver.all) {
        expect(d.headers['content-type']).toBe('application/json');
        expect(verifyWebhookSignature(hook.secret, d.body, d.headers['levelchat-signature'] as string)).toBe(true);
        expect(verifyWebhookSignature(hook.secret, `${d.body} `, d.headers['levelchat-signature'] as string)).toBe(false);
        expect(verifyWebhookSignature('whsec_wrong', d.body, d.headers['levelchat-signature'] as string)).toBe(false);
        expect(Object.keys(JSON.parse(d.body)).sort()).toEqual(['created_at', 'data', 'id', 'room_id', 'type']);
      }
      expect((await readJson(await as('/v1/webhooks'))).webhooks).toEqual([{ id: hook.id, url: receiver.url, events: null, created_at: hook.created_at, dropped_events: 0, queued_events: 0 }]);
      expect((await readJson(await as(`/v1/webhooks/${hook.id}`))).id).toBe(hook.id);
    } finally {
      await receiver.close();
    }
  });

  it('retries a failing receiver with the same id, in order per room, each event once after dedupe', async () => {
    const as = await tenant();
    const receiver = await startWebhookReceiver({ failFirst: 3 });
    try {
      const hook = await readJson(await as('/v1/webhooks', { method: 'POST', json: { url: receiver.url } }));
      const rooms = ['r_ord-a', 'r_ord-b', 'r_ord-c'];
      for (const id of rooms) await as(`/v1/rooms/${id}/tokens`, { method: 'POST', json: { identity: 'x', capabilities: [] } });
      for (const id of rooms) {
        await t.stack.control.rooms.join(id);
        await t.stack.control.rooms.leave(id);
      }
      await waitFor(() => receiver.accepted().length === 9, { timeoutMs: 15_000, what: 'nine events' });
      for (const id of rooms) {
        expect(receiver.accepted().filter((e) => e.room_id === id).map((e) => e.type)).toEqual(['room.created', 'room.started', 'room.ended']);
      }
      // The failed attempts carried the same event id as the successful one.
      const failed = receiver.all.filter((d) => d.status === 503).map((d) => JSON.parse(d.body).id);
      expect(failed).toHaveLength(3);
      for (const id of failed) expect(receiver.accepted().map((e) => e.id)).toContain(id);

      const log = (await readJson(await as(`/v1/webhooks/${hook.id}/deliveries?limit=200`))).deliveries;
      expect(log.filter((d: { status: string }) => d.status === 'retrying')).toHaveLength(3);
      expect(log.filter((d: { status: string }) => d.status === 'delivered')).toHaveLength(9);
      expect(log[0]).toMatchObject({ event_id: expect.any(String), attempt: expect.any(Number), http_status: 200, duration_ms: expect.any(Number) });
      // Each delivered event left the webhook's count of queued events (WEBHOOK_BACKLOG_MAX's count).
      await waitFor(async () => (await redis.hget(webhookHash(hook.id), WEBHOOK_QUEUED_FIELD)) === '0', { what: 'the queued count back to 0' });
    } finally {
      await receiver.close();
    }
  });

  it('holds events while the receiver is down and delivers all of them, in order, when it is back', async () => {
    const as = await tenant();
    const receiver = await startWebhookReceiver();
    receiver.down();
    try {
      await as('/v1/webhooks', { method: 'POST', json: { url: receiver.url } });
      await as('/v1/rooms/r_down/tokens', { method: 'POST', json: { identity: 'x', capabilities: [] } });
      for (let i = 0; i < 5; i += 1) {
        await t.stack.control.rooms.join('r_down');
        await t.stack.control.rooms.leave('r_down');
      }
      await waitFor(() => receiver.all.length >= 3, { what: 'attempts while down' });
      expect(receiver.accepted()).toEqual([]);
      receiver.up();
      await waitFor(() => receiver.accepted().length === 11, { timeoutMs: 15_000, what: 'all events after recovery' });
      expect(receiver.accepted().map((e) => e.type)).toEqual(['room.created', ...Array.from({ length: 5 }, () => ['room.started', 'room.ended']).flat()]);
    } finally {
      await receiver.close();
    }
  });

  it('sends only the subscribed event types, and nothing after deletion', async () => {
    const as = await tenant();
    const receiver = await startWebhookReceiver();
    try {
      const hook = await readJson(await as('/v1/webhooks', { method: 'POST', json: { url: receiver.url, events: ['room.ended'] } }));
      await as('/v1/rooms', { method: 'POST', json: { external_id: 'filtered' } });
      await as('/v1/rooms/r_filtered', { method: 'DELETE' });
      await waitFor(() => receiver.accepted().length === 1, { what: 'one delivery' });
      expect(receiver.accepted()[0]!.type).toBe('room.ended');
      expect((await as(`/v1/webhooks/${hook.id}`, { method: 'DELETE' })).status).toBe(204);
      expect((await as(`/v1/webhooks/${hook.id}`)).status).toBe(404);
      await as('/v1/rooms', { method: 'POST', json: { external_id: 'after-delete' } });
      await as('/v1/rooms/r_after-delete', { method: 'DELETE' });
      await new Promise((r) => setTimeout(r, 500));
      expect(receiver.all).toHaveLength(1);
      // Nothing brought the deleted webhook's record back (the queued count is not kept for it).
      expect(await redis.exists(webhookHash(hook.id))).toBe(0);
    } finally {
      await receiver.close();
    }
  });

  it('keeps webhooks per key and validates input', async () => {
    const a = await tenant();
    const b = await tenant();
    const hook = await readJson(await a('/v1/webhooks', { method: 'POST', json: { url: 'http://127.0.0.1:9/x' } }));
    expect((await b(`/v1/webhooks/${hook.id}`)).status).toBe(404);
    expect((await b(`/v1/webhooks/${hook.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await b(`/v1/webhooks/${hook.id}/deliveries`)).status).toBe(404);
    expect((await readJson(await b('/v1/webhooks'))).webhooks).toEqual([]);
    for (const json of [{ url: 'ftp://x/y' }, { url: 'not a url' }, { url: 'http://x', events: ['room.exploded'] }, { url: 'http://x', events: [] }, { url: 'http://x', extra: 1 }]) {
      const res = await a('/v1/webhooks', { method: 'POST', json });
      expect(res.status).toBe(400);
      expect((await readJson(res)).code).toBe('invalid_request');
    }
    expect((await a('/v1/webhooks/wh_..')).status).toBe(400);
  });
});
