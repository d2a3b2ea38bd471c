import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { PayloadError } from '../../../common/json-payload.js';
import { WebhookStore } from '../../../src/webhooks/webhook-store.js';

const storeWith = (hash: Record<string, string>) => new WebhookStore({ hgetall: async () => hash } as unknown as Redis);

const hash = { id: 'wh_1', owner: 'key1', url: 'https://example.com/hook', secret: 'whsec_x', created_at: '2024-01-01T00:00:00.000Z' };

describe('stored webhooks', () => {
  it('read back with their event filter; no filter (null or absent) is every event', async () => {
    expect(await storeWith({ ...hash, events: '["room.created","room.ended"]' }).find('wh_1')).toEqual({ ...hash, events: ['room.created', 'room.ended'] });
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
