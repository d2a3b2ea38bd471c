import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { parseApiKey } from '../../../src/auth/api-key.js';
import type { TokenErrorCode } from '../../../src/auth/room-token.js';
import { roomControlChannel } from '../../../src/events/event-keys.js';
import { readJson, useTestStack } from '../../helpers/test-stack.js';

const { t, redis } = useTestStack();

const verify = (token: string) => t.stack.control.minter.verify(token);

async function mint(roomId: string, body: Record<string, unknown>, key?: string) {
  return t.api(`/v1/rooms/${roomId}/tokens`, { method: 'POST', json: body, ...(key ? { key } : {}) });
}

describe('POST /v1/rooms/{id}/tokens', () => {
  it('mints a scoped HS256 token and creates the room on the fly', async () => {
    const res = await mint('r_team-standup-2026-04-25', { identity: 'alice', name: 'Alice', capabilities: ['publish:camera', 'publish:screen', 'subscribe:all', 'chat:send'], metadata: '{"seat":3}' });
    expect(res.status).toBe(201);
    const body = await readJson(res);
    expect(body).toMatchObject({ room_id: 'r_team-standup-2026-04-25', signaling_url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/v1\/rtc$/) });
    expect(Date.parse(body.expires_at) - Date.now()).toBeGreaterThan(3500_000);
    const header = decodeProtectedHeader(body.token);
    expect(header).toMatchObject({ alg: 'HS256', kid: parseApiKey(t.apiKey)!.id });
    const grant = await verify(body.token);
    expect(grant).toMatchObject({ roomId: 'r_team-standup-2026-04-25', identity: 'alice', name: 'Alice', capabilities: ['publish:camera', 'publish:screen', 'subscribe:all', 'chat:send'], metadata: '{"seat":3}' });

    const room = await readJson(await t.api('/v1/rooms/r_team-standup-2026-04-25'));
    expect(room).toMatchObject({ type: 'meeting', external_id: 'team-standup-2026-04-25', state: 'created' });
  });

  it('creates on the fly with the requested type', async () => {
    expect((await mint('r_show-1', { identity: 'host', capabilities: ['publish:camera'], type: 'broadcast' })).status).toBe(201);
    expect((await readJson(await t.api('/v1/rooms/r_show-1'))).config.hls).toBe(true);
  });

  it.each([
    ['unknown capability', { identity: 'a', capabilities: ['publish:everything'] }],
    ['role instead of caps', { identity: 'a', capabilities: ['admin'] }],
    ['missing identity', { capabilities: [] }],
    ['empty identity', { identity: '', capabilities: [] }],
    ['control chars', { identity: 'a\nb', capabilities: [] }],
    ['ttl too long', { identity: 'a', capabilities: [], ttl_s: 10 ** 9 }],
    ['unknown field', { identity: 'a', capabilities: [], role: 'admin' }],
  ])('400 for %s and no room created', async (_n, body) => {
    const res = await mint('r_never-created', body);
    expect(res.status).toBe(400);
    expect((await readJson(res)).code).toBe('invalid_request');
    expect((await t.api('/v1/rooms/r_never-created')).status).toBe(404);
  });

  it('refuses tokens for ids that are not room ids', async () => {
    for (const id of ['team', 'r_..', 'r_a..b', `r_${'a'.repeat(200)}`]) {
      const res = await mint(id, { identity: 'a', capabilities: [] });
      expect(res.status).toBe(400);
    }
  });
});

describe('token verification', () => {
  async function codeOf(token: string): Promise<TokenErrorCode | 'ok'> {
    try {
      await verify(token);
      return 'ok';
    } catch (err) {
      return (err as { code: TokenErrorCode }).code;
    }
  }

  it('refuses alg none, a wrong key, expired and not-yet-valid tokens', async () => {
    const { token } = await readJson(await mint('r_verify', { identity: 'bob', capabilities: ['subscribe:all'] }));
    expect(await codeOf(token)).toBe('ok');
    const [h, p] = token.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: parseApiKey(t.apiKey)!.id })).toString('base64url')}.${p}.`;
    expect(await codeOf(none)).toBe('token_invalid');
    const escalated = `${h}.${Buffer.from(JSON.stringify({ ...decodeJwt(token), caps: ['moderate:participants'] })).toString('base64url')}.${token.split('.')[2]}`;
    expect(await codeOf(escalated)).toBe('token_invalid');
    const kid = parseApiKey(t.apiKey)!.id;
    const wrongKey = await new SignJWT({ room: 'r_verify', caps: [], iat_ms: Date.now() })
      .setProtectedHeader({ alg: 'HS256', kid })
      .setIssuer('levelchat').setSubject('eve').setJti('abcdefghij').setExpirationTime('1h')
      .sign(new TextEncoder().encode('not-the-key-not-the-key-not-the-key'));
    expect(await codeOf(wrongKey)).toBe('token_invalid');
    const key = (await t.stack.control.keys.signingKey(kid))!;
    const base = () => new SignJWT({ room: 'r_verify', caps: [], iat_ms: Date.now() }).setProtectedHeader({ alg: 'HS256', kid }).setIssuer('levelchat').setSubject('eve').setJti('abcdefghij');
    expect(await codeOf(await base().setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(key))).toBe('token_expired');
    expect(await codeOf(await base().setExpirationTime('2h').setNotBefore(Math.floor(Date.now() / 1000) + 3600).sign(key))).toBe('token_not_yet_valid');
    const unknownKid = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', kid: 'nosuchkey1' }).sign(key);
    expect(await codeOf(unknownKid)).toBe('token_unknown_key');
    expect(await codeOf('not.a.jwt')).toBe('token_malformed');
    expect(await codeOf('x'.repeat(10_000))).toBe('token_malformed');
  });

  it('refuses tokens of a deleted API key', async () => {
    const created = await readJson(await t.api('/v1/keys', { method: 'POST', json: { name: 'short-lived' } }));
    const { token } = await readJson(await mint('r_deleted-key', { identity: 'x', capabilities: [] }, created.key));
    expect(await codeOf(token)).toBe('ok');
    expect((await t.api(`/v1/keys/${created.id}`, { method: 'DELETE', key: created.key })).status).toBe(204);
    expect(await codeOf(token)).toBe('token_unknown_key');
  });
});

describe('DELETE /v1/rooms/{id}/participants/{identity}', () => {
  it('kicks (published to every node) and revokes earlier tokens; later tokens work', async () => {
    const before = await readJson(await mint('r_kick', { identity: 'carol', capabilities: ['subscribe:all'] }));
    const sub = new Redis(t.redisUrl);
    const messages: string[] = [];
    sub.on('message', (_c: string, m: string) => messages.push(m));
    await sub.subscribe(roomControlChannel(sub));
    try {
      expect((await t.api('/v1/rooms/r_kick/participants/carol', { method: 'DELETE' })).status).toBe(204);
      await new Promise((r) => setTimeout(r, 100));
      expect(messages.map((m) => JSON.parse(m))).toContainEqual({ type: 'kick', room_id: 'r_kick', identity: 'carol', reason: 'revoked' });
    } finally {
      await sub.quit();
    }
    const revocations = t.stack.control.revocations;
    expect(await revocations.isRevoked(await verify(before.token))).toBe(true);
    const after = await readJson(await mint('r_kick', { identity: 'carol', capabilities: ['subscribe:all'] }));
    expect(await revocations.isRevoked(await verify(after.token))).toBe(false);
    const dave = await readJson(await mint('r_kick', { identity: 'dave', capabilities: [] }));
    expect(await revocations.isRevoked(await verify(dave.token))).toBe(false);
    expect((await t.api('/v1/rooms/r_nope/participants/carol', { method: 'DELETE' })).status).toBe(404);
  });
});
