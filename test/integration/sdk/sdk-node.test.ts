import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../sdk/node/cli.js';
import { LevelChatApiError, LevelChatClient, verifyWebhook, WebhookVerificationError, type Room } from '../../../sdk/node/index.js';
import { projectRoot } from '../../../common/compiled-entry.js';
import { startHttpReceiver } from '../../../bench/lib/http-receiver.js';
import { startTestStack, type TestStack } from '../../helpers/test-stack.js';

let stack: TestStack;
let lc: LevelChatClient;

beforeAll(async () => {
  stack = await startTestStack();
  lc = new LevelChatClient({ apiUrl: stack.url, apiKey: stack.apiKey });
});

afterAll(async () => {
  await stack?.stop();
});

async function apiError(promise: Promise<unknown>): Promise<LevelChatApiError> {
  const err = await promise.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(LevelChatApiError);
  return err as LevelChatApiError;
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A loopback HTTP server that records every POST and answers 204. */
async function startReceiver() {
  const received: { body: string; headers: IncomingHttpHeaders }[] = [];
  const receiver = await startHttpReceiver('/levelchat', (body, req, res) => {
    received.push({ body, headers: req.headers });
    res.writeHead(204).end();
  });
  return { ...receiver, received };
}

describe('LevelChatClient against a node', () => {
  it('creates the guide\'s room (again: the same room), gets, lists and ends it', async () => {
    const body = {
      external_id: 'team-standup-2026-04-25',
      type: 'meeting',
      config: { max_participants: 50, preferred_codec: 'av1', record: { enabled: false }, e2ee: false, region_hint: 'eu-fsn' },
    } as const;
    const room = await lc.rooms.create(body);
    expect(room).toMatchObject({ id: 'r_team-standup-2026-04-25', external_id: 'team-standup-2026-04-25', type: 'meeting', state: 'created' });
    expect(room.config).toMatchObject(body.config);
    expect(await lc.rooms.create(body)).toEqual(room);
    expect(await lc.rooms.get(room.id)).toEqual({ ...room, hls: null, viewers: { count: 0, capped: false, latency_p50_s: null, latency_p95_s: null, window_s: 15 } });
    expect((await lc.rooms.list({ limit: 100 })).rooms.map((r) => r.id)).toContain(room.id);

    const ended = await lc.rooms.end(room.id);
    expect(ended).toMatchObject({ id: room.id, state: 'ended', ended_reason: 'host_ended' });
    expect(await apiError(lc.rooms.end(room.id))).toMatchObject({ status: 409, code: 'room_ended' });
  });

  it('mints a token (creating the room on the fly) and kicks its identity', async () => {
    const token = await lc.tokens.create('r_sdk-on-the-fly', { identity: 'alice', capabilities: ['subscribe:all', 'chat:send'], type: 'broadcast', ttl_s: 600 });
    expect(token.room_id).toBe('r_sdk-on-the-fly');
    expect(token.signaling_url).toBe(`${stack.url.replace(/^http/, 'ws')}/v1/rtc`);
    expect(Date.parse(token.expires_at) - Date.now()).toBeGreaterThan(590_000);
    expect(decodeJwt(token.token)).toMatchObject({ sub: 'alice', room: 'r_sdk-on-the-fly', caps: ['subscribe:all', 'chat:send'] });
    expect((await lc.rooms.get('r_sdk-on-the-fly')).type).toBe('broadcast');

    expect(await lc.participants.kick('r_sdk-on-the-fly', 'alice')).toBeUndefined();
    expect(await apiError(lc.participants.kick('r_sdk-nowhere', 'alice'))).toMatchObject({ status: 404, code: 'room_not_found' });
  });

  it('creates, lists and deletes API keys; a deleted key is refused', async () => {
    const created = await lc.keys.create({ name: 'sdk-child' });
    expect(created).toMatchObject({ name: 'sdk-child', source: 'api' });
    expect(created.key).toMatch(/^lc_pk_[A-Za-z0-9]+\.[A-Za-z0-9_-]+$/);
    const { keys } = await lc.keys.list();
    expect(keys.map((k) => k.id)).toContain(created.id);
    expect(keys.find((k) => k.id === created.id)).not.toHaveProperty('key');

    const child = new LevelChatClient({ apiUrl: stack.url, apiKey: created.key });
    expect(await child.rooms.list()).toEqual({ rooms: [], next_cursor: null });
    expect(await lc.keys.delete(created.id)).toBeUndefined();
    expect(await apiError(child.rooms.list())).toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect(await apiError(lc.keys.delete(created.id))).toMatchObject({ status: 404, code: 'key_not_found' });
  });

  it('iterates 25 rooms in pages of 10, following next_cursor', async () => {
    // A key of its own, so only these rooms are listed.
    const { key } = await lc.keys.create({ name: 'sdk-iterate' });
    const pages: string[] = [];
    const counting: typeof fetch = (input, init) => {
      if (String(input).includes('/v1/rooms?')) pages.push(String(input));
      return fetch(input, init);
    };
    const client = new LevelChatClient({ apiUrl: stack.url, apiKey: key, fetch: counting });
    // Created concurrently: several share a millisecond, which the cursor must handle.
    const created = await Promise.all(Array.from({ length: 25 }, (_, i) => client.rooms.create({ type: i < 5 ? 'broadcast' : 'meeting' })));

    const seen: Room[] = [];
    for await (const room of client.rooms.iterate({ limit: 10 })) seen.push(room);
    expect(seen.map((r) => r.id).sort()).toEqual(created.map((r) => r.id).sort());
    const times = seen.map((r) => Date.parse(r.created_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(pages).toHaveLength(3);

    const broadcasts: string[] = [];
    for await (const room of client.rooms.iterate({ type: 'broadcast', limit: 2 })) broadcasts.push(room.id);
    expect(broadcasts.sort()).toEqual(created.slice(0, 5).map((r) => r.id).sort());
  });

  it('turns error answers and failed requests into LevelChatApiError', async () => {
    const notFound = await apiError(lc.rooms.get('r_does-not-exist'));
    expect(notFound).toMatchObject({ status: 404, code: 'room_not_found', title: 'Room not found', detail: 'no such room' });

    const invalid = await apiError(lc.rooms.create({ type: 'stadium' as 'meeting' }));
    expect(invalid).toMatchObject({ status: 400, code: 'invalid_request', title: 'Invalid request' });
    expect(invalid.detail).toMatch(/^body\.type: /);
    expect(await apiError(lc.rooms.get('no-prefix'))).toMatchObject({ status: 400, code: 'invalid_id' });
    expect(await apiError(lc.webhooks.get('wh_unknown'))).toMatchObject({ status: 404, code: 'webhook_not_found' });

    const wrongKey = new LevelChatClient({ apiUrl: stack.url, apiKey: 'lc_pk_abcdefgh.0123456789abcdefghij' });
    expect(await apiError(wrongKey.rooms.list())).toMatchObject({ status: 401, code: 'invalid_api_key' });

    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const offline = new LevelChatClient({ apiUrl: `http://127.0.0.1:${port}`, apiKey: stack.apiKey });
    expect(await apiError(offline.rooms.list())).toMatchObject({ status: 0, code: 'network_error', detail: 'ECONNREFUSED' });
  });

  it('registers a webhook whose real deliveries verifyWebhook accepts, and refuses tampered ones', async () => {
    const receiver = await startReceiver();
    try {
      const hook = await lc.webhooks.create({ url: receiver.url, events: ['room.created', 'room.ended'] });
      expect(hook).toMatchObject({ url: receiver.url, events: ['room.created', 'room.ended'] });
      expect(hook.secret).toMatch(/^whsec_/);
      const { secret, ...publicView } = hook;
      expect(await lc.webhooks.get(hook.id)).toEqual(publicView);
      expect((await lc.webhooks.list()).webhooks).toContainEqual(publicView);

      const room = await lc.rooms.create({ external_id: 'sdk-webhook-room' });
      await lc.rooms.end(room.id);
      const deliveryOf = (type: string) =>
        waitFor(type, () => receiver.received.find((d) => d.body.includes(`"type":"${type}"`) && d.body.includes(`"room_id":"${room.id}"`)));
      const created = await deliveryOf('room.created');
      const ended = await deliveryOf('room.ended');

      expect(verifyWebhook(created.body, created.headers, secret)).toMatchObject({ type: 'room.created', room_id: room.id });
      // As a fetch-style handler (Hono, Next.js route handlers...) would pass them.
      const asFetchHeaders = new Headers(Object.entries(ended.headers).map(([k, v]) => [k, String(v)]));
      const event = verifyWebhook(ended.body, asFetchHeaders, secret);
      expect(event).toMatchObject({ type: 'room.ended', room_id: room.id, data: { reason: 'host_ended' } });
      expect(event.id).toMatch(/^evt_/);

      expect(() => verifyWebhook(ended.body.replace('host_ended', 'empty'), ended.headers, secret)).toThrow(WebhookVerificationError);
      expect(() => verifyWebhook(ended.body, ended.headers, 'whsec_wrong')).toThrow(WebhookVerificationError);
      const { 'levelchat-signature': _, ...unsigned } = ended.headers;
      expect(() => verifyWebhook(ended.body, unsigned, secret)).toThrow(/missing LevelChat-Signature/);

      const { deliveries } = await waitFor('two delivered attempts', async () => {
        const list = await lc.webhooks.deliveries(hook.id, { limit: 10 });
        return list.deliveries.filter((d) => d.room_id === room.id && d.status === 'delivered').length >= 2 ? list : undefined;
      });
      expect(deliveries[0]).toMatchObject({ event_type: 'room.ended', room_id: room.id, status: 'delivered', http_status: 204, attempt: 1 });

      expect(await lc.webhooks.delete(hook.id)).toBeUndefined();
      expect(await apiError(lc.webhooks.get(hook.id))).toMatchObject({ status: 404, code: 'webhook_not_found' });
    } finally {
      await receiver.close();
    }
  });
});

describe('the levelchat CLI against a node', () => {
  async function cli(argv: string[], env: Record<string, string | undefined> = { LEVELCHAT_API_URL: stack.url, LEVELCHAT_API_KEY: stack.apiKey }) {
    let out = '';
    let err = '';
    const code = await runCli(argv, env, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
    return { code, out, err, json: () => JSON.parse(out) as Record<string, unknown> };
  }

  it('creates, gets, lists and ends rooms', async () => {
    const created = await cli(['rooms', 'create', '--type', 'broadcast', '--external-id', 'cli-room', '--max-participants', '500', '--codec', 'vp8', '--record']);
    expect(created).toMatchObject({ code: 0, err: '' });
    expect(created.json()).toMatchObject({
      id: 'r_cli-room',
      type: 'broadcast',
      config: { max_participants: 500, preferred_codec: 'vp8', record: { enabled: true } },
    });
    expect((await cli(['rooms', 'get', 'r_cli-room'])).json()).toMatchObject({ id: 'r_cli-room', state: 'created' });
    const listed = await cli(['rooms', 'list', '--type', 'broadcast', '--state', 'created', '--limit', '50']);
    expect((listed.json().rooms as Room[]).map((r) => r.id)).toContain('r_cli-room');
    expect((await cli(['rooms', 'end', 'r_cli-room'])).json()).toMatchObject({ id: 'r_cli-room', state: 'ended', ended_reason: 'host_ended' });
  });

  it('mints tokens (a random identity when none is given) and kicks', async () => {
    const named = await cli(['token', 'r_cli-tokens', '--identity', 'alice', '--cap', 'subscribe:all', '--cap', 'chat:send', '--ttl', '600', '--name', 'Alice']);
    expect(named.code).toBe(0);
    expect(decodeJwt(named.json().token as string)).toMatchObject({ sub: 'alice', name: 'Alice', room: 'r_cli-tokens', caps: ['subscribe:all', 'chat:send'] });
    const anonymous = await cli(['token', 'r_cli-tokens', '--cap', 'subscribe:all']);
    expect(decodeJwt(anonymous.json().token as string).sub).toMatch(/^user-[0-9a-f]{4}$/);
    expect(await cli(['kick', 'r_cli-tokens', 'alice'])).toEqual(expect.objectContaining({ code: 0, out: '', err: '' }));
  });

  it('manages keys and webhooks', async () => {
    const key = (await cli(['keys', 'create', '--name', 'cli'])).json();
    expect(key).toMatchObject({ name: 'cli', source: 'api' });
    expect(((await cli(['keys', 'list'])).json().keys as { id: string }[]).map((k) => k.id)).toContain(key.id);
    expect(await cli(['keys', 'delete', key.id as string])).toMatchObject({ code: 0, out: '' });

    // room.archived only: nothing in this test makes a delivery to the unused port.
    const hook = (await cli(['webhooks', 'create', 'http://127.0.0.1:9/hook', '--event', 'room.archived'])).json();
    expect(hook).toMatchObject({ url: 'http://127.0.0.1:9/hook', events: ['room.archived'] });
    expect(hook.secret).toMatch(/^whsec_/);
    const id = hook.id as string;
    expect(((await cli(['webhooks', 'list'])).json().webhooks as { id: string }[]).map((w) => w.id)).toContain(id);
    expect((await cli(['webhooks', 'get', id])).json()).toMatchObject({ id, events: ['room.archived'] });
    expect((await cli(['webhooks', 'deliveries', id, '--limit', '5'])).json()).toEqual({ deliveries: [] });
    expect(await cli(['webhooks', 'delete', id])).toMatchObject({ code: 0, out: '' });
    expect(await cli(['webhooks', 'get', id])).toMatchObject({ code: 1, out: '', err: 'levelchat: webhook_not_found: Webhook not found\n' });
  });

  it('prints the server\'s error code and detail and exits 1', async () => {
    const badCap = await cli(['token', 'r_cli-errors', '--identity', 'bob', '--cap', 'fly:plane']);
    expect(badCap).toMatchObject({ code: 1, out: '' });
    expect(badCap.err).toMatch(/^levelchat: invalid_request: body\.capabilities\.0: /);
    expect(await cli(['rooms', 'get', 'r_cli-nowhere'])).toMatchObject({ code: 1, err: 'levelchat: room_not_found: no such room\n' });
    expect(await cli(['rooms', 'list', '--limit', '1000'])).toMatchObject({ code: 1, err: expect.stringMatching(/^levelchat: invalid_request: query\.limit/) });
    const wrongKey = await cli(['rooms', 'list', '--api-key', 'lc_pk_abcdefgh.0123456789abcdefghij', '--api-url', stack.url], {});
    expect(wrongKey).toMatchObject({ code: 1, err: 'levelchat: invalid_api_key: the API key is unknown, deleted or wrong\n' });
  });

  it('exits 2 with the usage for an unknown command and explains a missing key', async () => {
    const unknown = await cli(['rooms', 'frob']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^levelchat: unknown command "rooms frob"\n\nUsage: levelchat/);
    const noKey = await cli(['rooms', 'list'], { LEVELCHAT_API_URL: stack.url });
    expect(noKey.code).toBe(2);
    expect(noKey.err).toMatch(/^levelchat: no API key: set LEVELCHAT_API_KEY or pass --api-key/);
  });

  it('runs compiled, as `node dist/sdk/node/cli.js`', async () => {
    const entry = path.join(projectRoot(), 'dist', 'sdk', 'node', 'cli.js');
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build`);
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [entry, 'rooms', 'create', '--type', 'broadcast'], {
      env: { PATH: process.env.PATH, LEVELCHAT_API_URL: stack.url, LEVELCHAT_API_KEY: stack.apiKey },
    });
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toMatchObject({ type: 'broadcast', state: 'created', config: { hls: true } });
  });
});
