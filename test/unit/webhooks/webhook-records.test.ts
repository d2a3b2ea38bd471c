import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { PayloadError } from '../../../common/json-payload.js';
import { WebhookStore } from '../../../src/webhooks/webhook-store.js';

const storeWith = (hash: Record<string, string>) => new WebhookStore({ hgetall: async () => hash, defineCommand: () => {} } as unknown as Redis);

const hash = { id: 'wh_1', owner: 'key1', url: 'https://example.com/hook', secret: 'whsec_x', created_at: '2024-01-01T00:00:00.000Z' };

describe('stored webhooks', () => {
  it('read back with their event filter (no filter, null or absent, is every event) and their dropped events', async () => {
    // Stored before tenants were recorded: the owner's key stands in for its tree.
    expect(await storeWith({ ...hash, events: '["room.created","room.ended"]' }).find('wh_1')).toEqual({ ...hash, tenant: 'key1', events: ['room.created', 'room.ended'], dropped_events: 0, queued_events: 0 });
    // The emitting Lua counts the events a full queue did not take.
    expect((await storeWith({ ...hash, dropped_events: '12' }).find('wh_1'))?.dropped_events).toBe(12);
    // And the events its queues hold now (the dispatcher's pop takes them off).
    expect((await storeWith({ ...hash, queued: '7' }).find('wh_1'))?.queued_events).toBe(7);
    expect((await storeWith({ ...hash, tenant: 'root1' }).find('wh_1'))?.tenant).toBe('root1');
    expect((await storeWith({ ...hash, events: 'null' }).find('wh_1'))?.events).toBeNull();
    expect((await storeWith(hash).find('wh_1'))?.events).toBeNull();
    expect(await storeWith({}).find('wh_1')).toBeUndefined();
  });

  it('that do not parse are a payload error naming the webhook', async () => {
    const { secret: _secret, ...secretless } = hash;
    await expect(storeWith(secretless).find('wh_1')).rejects.toThrow(/^invalid webhook wh_1: secret: /);
    await expect(storeWith({ ...hash, events: '["room.exploded"]' }).find('wh_1')).rejects.toThrow(PayloadError);
    await expect(storeWith({ ...hash, events: '[' }).find('wh_1')).rejects.toThrow('invalid webhook wh_1: not JSON');
  });
});
