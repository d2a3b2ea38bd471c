// Issue 17, row 2: one tenant registers many webhooks at a receiver that accepts connections and
// never answers, and makes many events. Before: no cap per key, and 16 delivery slots shared by
// everyone, so another tenant's deliveries waited for the hanging ones (15 ms -> 29.7 s measured).
import { describe, expect, it } from 'vitest';
import { formatApiKey, generateApiKey, parseApiKey } from '../../../src/auth/api-key.js';
import { DEFAULT_DELIVERY_LIMITS } from '../../../src/webhooks/webhook-dispatcher.js';
import { WEBHOOKS_PER_KEY } from '../../../src/webhooks/webhook-store.js';
import { startHangingReceiver } from '../../../bench/lib/hanging-receiver.js';
import { waitFor } from '../../../bench/lib/wait.js';
import { FAST_RETRY, readJson, useTestStack, type TestStack } from '../../helpers/test-stack.js';
import { startWebhookReceiver } from '../../helpers/webhook-receiver.js';

// The bystander is another tenant: a config key, the root of a key tree of its own.
const bystanderKey = formatApiKey(generateApiKey());
const { t } = useTestStack({ extraApiKeys: [bystanderKey] });

/** A key made by the stack's key (so in its tree) and a fetch bound to it. */
async function keyOfFloodingTenant() {
  const created = await readJson(await t.api('/v1/keys', { method: 'POST', json: { name: 'flooder' } }));
  return (path: string, init: Parameters<TestStack['api']>[1] = {}) => t.api(path, { ...init, key: created.key });
}

describe('webhook flood', () => {
  it(`a key registers at most ${WEBHOOKS_PER_KEY} webhooks, also when it asks all at once (409 webhook_limit)`, async () => {
    const as = await keyOfFloodingTenant();
    const register = () => as('/v1/webhooks', { method: 'POST', json: { url: 'http://127.0.0.1:9/hook', events: ['room.archived'] } });
    const answers = await Promise.all(Array.from({ length: WEBHOOKS_PER_KEY + 10 }, register));
    expect(answers.filter((r) => r.status === 201)).toHaveLength(WEBHOOKS_PER_KEY);
    const refused = answers.filter((r) => r.status === 409);
    expect(refused).toHaveLength(10);
    expect((await readJson(refused[0]!)).code).toBe('webhook_limit');
    const hooks = (await readJson(await as('/v1/webhooks'))).webhooks;
    expect(hooks).toHaveLength(WEBHOOKS_PER_KEY);
    expect((await as(`/v1/webhooks/${hooks[0].id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await register()).status).toBe(201);
    expect((await register()).status).toBe(409);
  });

  it('a tenant whose webhooks all hang holds its own share of delivery only; another tenant is delivered at once', async () => {
    const hanging = await startHangingReceiver();
    const receiver = await startWebhookReceiver();
    try {
      const flooder = await keyOfFloodingTenant();
      for (let i = 0; i < WEBHOOKS_PER_KEY; i += 1) {
        expect((await flooder('/v1/webhooks', { method: 'POST', json: { url: hanging.url } })).status).toBe(201);
      }
      // 10 rooms x 20 webhooks: 200 deliveries that each hang for a whole attempt deadline.
      for (let i = 0; i < 10; i += 1) await flooder('/v1/rooms', { method: 'POST', json: { external_id: `flood-${i}` } });
      await waitFor(() => hanging.open() === DEFAULT_DELIVERY_LIMITS.perTenant, { what: "the flooding tenant's slots full" });
      // Its backlog waits outside BullMQ's queue: nobody else's job queues behind it.
      const backlog = await t.stack.control.dispatcher.backlog(parseApiKey(t.apiKey)!.id);
      expect(backlog.inFlight).toBe(DEFAULT_DELIVERY_LIMITS.perTenant);
      expect(backlog.parked).toBeGreaterThan(150);
      expect(backlog.parked).toBeLessThanOrEqual(200 - DEFAULT_DELIVERY_LIMITS.perTenant);
      expect(backlog.jobs).toBeLessThanOrEqual(DEFAULT_DELIVERY_LIMITS.perTenant);

      const bystander = (path: string, init: Parameters<TestStack['api']>[1] = {}) => t.api(path, { ...init, key: bystanderKey });
      await bystander('/v1/webhooks', { method: 'POST', json: { url: receiver.url, events: ['room.created'] } });
      const latencies: number[] = [];
      for (let i = 0; i < 10; i += 1) {
        const res = await bystander('/v1/rooms', { method: 'POST', json: { external_id: `calm-${i}` } });
        expect(res.status).toBe(201);
        const created = Date.now();
        await waitFor(() => receiver.accepted().some((e) => e.room_id === `r_calm-${i}`), { intervalMs: 5, what: `delivery of r_calm-${i}` });
        latencies.push(Date.now() - created);
      }
      // Before, each waited behind the hanging attempts (FAST_RETRY: 2 s each, 16 slots for 200).
      expect(Math.max(...latencies)).toBeLessThan(FAST_RETRY.timeoutMs / 2);
      // The receiver may count a connection given up at its deadline a moment after the next one
      // opened, hence the + 1 (without the limit: 16 at once, all of them hanging).
      const most = DEFAULT_DELIVERY_LIMITS.perTenant + 1;
      expect(hanging.mostOpen()).toBeLessThanOrEqual(most);

      // The flooding tenant is still served, at its own pace: each attempt that times out hands its
      // slot to a parked delivery, and parking spent no attempt (attempt numbers have no gaps).
      await waitFor(() => hanging.attempts() >= 3 * DEFAULT_DELIVERY_LIMITS.perTenant, { timeoutMs: 4 * FAST_RETRY.timeoutMs + 5000, what: 'three rounds of hanging attempts' });
      expect(hanging.mostOpen()).toBeLessThanOrEqual(most);
      const attemptsByEvent = new Map<string, number[]>();
      for (const hook of (await readJson(await flooder('/v1/webhooks'))).webhooks) {
        for (const d of (await readJson(await flooder(`/v1/webhooks/${hook.id}/deliveries?limit=200`))).deliveries) {
          expect(d).toMatchObject({ status: 'retrying', error: 'timeout', http_status: null });
          const key = `${hook.id}/${d.event_id}`;
          attemptsByEvent.set(key, [...(attemptsByEvent.get(key) ?? []), d.attempt]);
        }
      }
      expect(attemptsByEvent.size).toBeGreaterThan(0);
      for (const attempts of attemptsByEvent.values()) expect(attempts.sort((a, b) => a - b)).toEqual(attempts.map((_, i) => i + 1));
    } finally {
      await hanging.close();
      await receiver.close();
    }
  });
});
