// Issue 17, row 3: a tenant points webhooks into our own network (SSRF) and reads the delivery log
// as a port scanner. Here LEVELCHAT_WEBHOOK_ALLOW_PRIVATE is off, as in production; DNS is played
// by the test (names it does not know go to the system resolver, so `localhost` is the real one).
import { lookup } from 'node:dns/promises';
import { describe, expect, it } from 'vitest';
import type { Resolver } from '../../../src/webhooks/destination-guard.js';
import { webhookHash } from '../../../src/events/event-keys.js';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { waitFor } from '../../../bench/lib/wait.js';
import { startWebhookReceiver } from '../../helpers/webhook-receiver.js';

const answers = new Map<string, string[]>();
const resolver: Resolver = async (name) => {
  const fixed = answers.get(name);
  if (fixed) return fixed.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  return lookup(name, { all: true, verbatim: true });
};

const { t, redis } = useTestStack({ env: { LEVELCHAT_WEBHOOK_ALLOW_PRIVATE: 'false' }, tuning: { webhookResolver: resolver } });

const GENERIC_ERRORS = /^(destination_refused|connect_failed|timeout|http_\d{3})$/;

async function deliveries(hookId: string): Promise<{ error: string | null; http_status: number | null; status: string }[]> {
  return (await readJson(await t.api(`/v1/webhooks/${hookId}/deliveries`))).deliveries;
}

describe('webhook SSRF', () => {
  it('refuses loopback, private, CGNAT, link-local, metadata, multicast, unspecified, decimal and mapped destinations at registration', async () => {
    const urls = [
      'http://127.0.0.1/hook',
      'http://127.1:8080/',
      'http://[::1]/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.5/',
      'http://172.16.3.4/',
      'http://172.31.255.1/',
      'http://192.168.1.1/',
      'http://100.64.0.1/',
      'http://0.0.0.0:6379/',
      'http://2130706433/',
      'http://0x7f000001/',
      'http://017700000001/',
      'http://localhost:6379/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:a9fe:a9fe]/',
      'http://[fd00::1]/',
      'http://[fe80::1]/',
      'http://224.0.0.1/',
      'http://[ff02::1]/',
      'http://[::]/',
      'https://does-not-resolve.invalid/hook',
    ];
    for (const url of urls) {
      const res = await t.api('/v1/webhooks', { method: 'POST', json: { url } });
      expect(res.status, url).toBe(422);
      const problem = await readJson(res);
      expect(problem.code, url).toBe('webhook_destination_refused');
      // The answer does not say what the name resolved to.
      expect(problem.detail).not.toMatch(/127\.|::1|10\.0|169\.254/);
    }
    expect(await redis.keys('lc:webhook*')).toEqual([]);
    expect((await readJson(await t.api('/v1/webhooks'))).webhooks).toEqual([]);
    // A public address is accepted (no event is ever sent to it: it only wants room.archived).
    const ok = await t.api('/v1/webhooks', { method: 'POST', json: { url: 'https://93.184.215.14/hook', events: ['room.archived'] } });
    expect(ok.status).toBe(201);
    await t.api(`/v1/webhooks/${(await readJson(ok)).id}`, { method: 'DELETE' });
  });

  it('a name that was public at registration and resolves to loopback at delivery (DNS rebinding) is refused; nothing reaches the loopback port', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const port = new URL(receiver.url).port;
      answers.set('rebind.example', ['93.184.215.14']);
      const res = await t.api('/v1/webhooks', { method: 'POST', json: { url: `http://rebind.example:${port}/hook` } });
      expect(res.status).toBe(201);
      const hook = await readJson(res);
      answers.set('rebind.example', ['127.0.0.1']);
      await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'rebind' } });
      await waitFor(async () => (await deliveries(hook.id)).length >= 2, { what: 'two refused attempts' });
      // A mixed answer (one public, one private address) is refused the same way.
      answers.set('rebind.example', ['93.184.215.14', '127.0.0.1']);
      const before = (await deliveries(hook.id)).length;
      await waitFor(async () => (await deliveries(hook.id)).length > before, { what: 'an attempt with a mixed answer' });
      for (const d of await deliveries(hook.id)) expect(d).toMatchObject({ status: 'retrying', http_status: null, error: 'destination_refused' });
      expect(receiver.all).toEqual([]);
      await t.api(`/v1/webhooks/${hook.id}`, { method: 'DELETE' });
    } finally {
      await receiver.close();
    }
  });

  it('a stored webhook that points at a loopback literal (made while allow-private was on) is refused at every delivery', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const hook = await readJson(await t.api('/v1/webhooks', { method: 'POST', json: { url: 'https://93.184.215.14/hook', events: ['room.ended'] } }));
      await redis.hset(webhookHash(hook.id), 'url', receiver.url);
      await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'stored-loopback' } });
      await t.api('/v1/rooms/r_stored-loopback', { method: 'DELETE' });
      await waitFor(async () => (await deliveries(hook.id)).length >= 2, { what: 'two refused attempts' });
      const log = await deliveries(hook.id);
      for (const d of log) {
        expect(d).toMatchObject({ http_status: null, error: 'destination_refused' });
        expect(d.error).toMatch(GENERIC_ERRORS);
      }
      expect(JSON.stringify(log)).not.toMatch(/ECONN|EHOST|ENOTFOUND|ETIMEDOUT|127\.0\.0\.1/);
      expect(receiver.all).toEqual([]);
      await t.api(`/v1/webhooks/${hook.id}`, { method: 'DELETE' });
    } finally {
      await receiver.close();
    }
  });
});
