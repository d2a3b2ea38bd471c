import { generateKeyPairSync } from 'node:crypto';
import { Redis } from 'ioredis';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../sdk/node/cli.js';
import { LevelChatClient } from '../../../sdk/node/client.js';
import { parseApiKey } from '../../../src/auth/api-key.js';
import { EdSigningKeys } from '../../../src/auth/ed-signing-keys.js';
import type { TokenErrorCode } from '../../../src/auth/room-token.js';
import { SignalingTestClient } from '../../helpers/signaling-client.js';
import { freshRedisDb, readJson, startTestStack, useTestStack } from '../../helpers/test-stack.js';

const { t } = useTestStack();

const JWKS_PATH = '/v1/.well-known/jwks.json';
const apiKeyId = () => parseApiKey(t.apiKey)!.id;

async function mintEdDsa(roomId: string, capabilities: string[], key?: string): Promise<string> {
  const res = await t.api(`/v1/rooms/${roomId}/tokens`, { method: 'POST', json: { identity: 'alice', capabilities, alg: 'EdDSA' }, ...(key ? { key } : {}) });
  expect(res.status).toBe(201);
  return (await readJson(res)).token;
}

async function codeOf(token: string): Promise<TokenErrorCode | 'ok'> {
  try {
    await t.stack.control.minter.verify(token);
    return 'ok';
  } catch (err) {
    return (err as { code: TokenErrorCode }).code;
  }
}

/** Joins over signaling; resolves with the error code, or 'ok'. */
async function joinCode(token: string): Promise<string> {
  const c = await SignalingTestClient.connect(t.url);
  try {
    const frame = await c.request('join', { token });
    return frame.ok ? 'ok' : frame.error!.code;
  } finally {
    c.close();
  }
}

/** Valid room-token claims, for tokens forged with other keys or algorithms. */
const forged = (claims: Record<string, unknown> = {}) =>
  new SignJWT({ room: 'r_ed-forged', caps: ['subscribe:all'], iat_ms: Date.now(), key_id: apiKeyId(), ...claims })
    .setIssuer('levelchat')
    .setSubject('mallory')
    .setJti('abcdefghij')
    .setExpirationTime('1h');

describe('EdDSA room tokens', () => {
  it('publishes the public keys without authentication, cacheable', async () => {
    const res = await t.api(JWKS_PATH, { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const { keys } = await readJson(res);
    expect(keys).toEqual([{ kty: 'OKP', crv: 'Ed25519', x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), kid: expect.stringMatching(/^ed_/), alg: 'EdDSA', use: 'sig' }]);
    expect(JSON.stringify(keys)).not.toContain('"d"');
    const openapi = await readJson(await t.api('/v1/openapi.json', { key: null }));
    expect(openapi.paths['/v1/.well-known/jwks.json'].get.security).toBeUndefined();
    expect(openapi.components.schemas.CreateTokenRequest.properties.alg).toMatchObject({ enum: ['HS256', 'EdDSA'], default: 'HS256' });
  });

  it('mints a token anyone can verify with the JWKS, and it joins the room', async () => {
    const token = await mintEdDsa('r_ed-join', ['publish:camera', 'subscribe:all']);
    const { keys } = await readJson(await t.api(JWKS_PATH, { key: null }));
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: keys[0].kid });

    const jwks = createRemoteJWKSet(new URL(`${t.url}${JWKS_PATH}`));
    const { payload } = await jwtVerify(token, jwks, { issuer: 'levelchat', algorithms: ['EdDSA'] });
    expect(payload).toMatchObject({ sub: 'alice', room: 'r_ed-join', caps: ['publish:camera', 'subscribe:all'], key_id: apiKeyId() });

    expect(await joinCode(token)).toBe('ok');
    expect((await readJson(await t.api('/v1/rooms/r_ed-join'))).state).toBe('active');
  });

  it('keeps HS256 the default and refuses other algorithms with a 400', async () => {
    const hs = await readJson(await t.api('/v1/rooms/r_ed-default/tokens', { method: 'POST', json: { identity: 'a', capabilities: [] } }));
    expect(decodeProtectedHeader(hs.token)).toMatchObject({ alg: 'HS256', kid: apiKeyId() });
    expect(decodeJwt(hs.token).key_id).toBeUndefined();
    const res = await t.api('/v1/rooms/r_ed-default/tokens', { method: 'POST', json: { identity: 'a', capabilities: [], alg: 'RS256' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await readJson(res)).code).toBe('invalid_request');
  });

  it('refuses tampered tokens, the wrong algorithm for the kid, unknown keys and missing owners', async () => {
    const token = await mintEdDsa('r_ed-forged', ['subscribe:all']);
    const [h, p, s] = token.split('.');
    const escalated = `${h}.${Buffer.from(JSON.stringify({ ...decodeJwt(token), caps: ['moderate:participants'] })).toString('base64url')}.${s}`;
    expect(await codeOf(escalated)).toBe('token_invalid');
    expect(await joinCode(escalated)).toBe('token_invalid');

    const edKid = decodeProtectedHeader(token).kid!;
    const hmacKey = (await t.stack.control.keys.signingKey(apiKeyId()))!;
    const cluster = await t.stack.control.edKeys.current();
    expect(await codeOf(await forged().setProtectedHeader({ alg: 'HS256', kid: edKid }).sign(hmacKey))).toBe('token_invalid');
    expect(await codeOf(await forged().setProtectedHeader({ alg: 'EdDSA', kid: apiKeyId() }).sign(cluster.key))).toBe('token_invalid');
    expect(await codeOf(`${Buffer.from(JSON.stringify({ alg: 'none', kid: edKid })).toString('base64url')}.${p}.`)).toBe('token_invalid');
    expect(await codeOf(await forged({ key_id: undefined }).setProtectedHeader({ alg: 'EdDSA', kid: edKid }).sign(cluster.key))).toBe('token_invalid');

    const stranger = generateKeyPairSync('ed25519').privateKey;
    expect(await codeOf(await forged().setProtectedHeader({ alg: 'EdDSA', kid: edKid }).sign(stranger))).toBe('token_invalid');
    expect(await codeOf(await forged().setProtectedHeader({ alg: 'EdDSA', kid: 'ed_AAAAAAAAAAAAAAAA' }).sign(stranger))).toBe('token_unknown_key');
    expect(await codeOf(await forged().setProtectedHeader({ alg: 'EdDSA', kid: edKid }).setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(cluster.key))).toBe(
      'token_expired',
    );
  });

  it('refuses the tokens of a deleted API key', async () => {
    const created = await readJson(await t.api('/v1/keys', { method: 'POST', json: { name: 'ed-short-lived' } }));
    const token = await mintEdDsa('r_ed-deleted-key', ['subscribe:all'], created.key);
    expect(await codeOf(token)).toBe('ok');
    expect((await t.api(`/v1/keys/${created.id}`, { method: 'DELETE', key: created.key })).status).toBe(204);
    expect(await codeOf(token)).toBe('token_unknown_key');
    expect(await joinCode(token)).toBe('token_unknown_key');
  });

  it('is minted by the Node SDK and the CLI with alg EdDSA', async () => {
    const lc = new LevelChatClient({ apiUrl: t.url, apiKey: t.apiKey });
    const viaSdk = await lc.tokens.create('r_ed-sdk', { identity: 'bob', capabilities: ['subscribe:all'], alg: 'EdDSA' });
    expect(decodeProtectedHeader(viaSdk.token).alg).toBe('EdDSA');
    let out = '';
    const io = { stdout: { write: (text: string) => (out += text) }, stderr: { write: () => true } };
    expect(await runCli(['token', 'r_ed-sdk', '--cap', 'subscribe:all', '--alg', 'EdDSA'], { LEVELCHAT_API_URL: t.url, LEVELCHAT_API_KEY: t.apiKey }, io)).toBe(0);
    expect(decodeProtectedHeader(JSON.parse(out).token).alg).toBe('EdDSA');
  });
});

describe('the cluster key', () => {
  it('is created once when nodes race for it', async () => {
    const url = await freshRedisDb();
    const clients = [new Redis(url), new Redis(url), new Redis(url)];
    try {
      const stores = clients.map((c) => new EdSigningKeys(c));
      const current = await Promise.all(stores.map((s) => s.current()));
      expect(new Set(current.map((c) => c.kid)).size).toBe(1);
      expect((await stores[0]!.jwks()).keys).toHaveLength(1);
    } finally {
      await Promise.all(clients.map((c) => c.quit()));
    }
  });

  it('is published by every node on the same Redis, and their tokens verify on each other', async () => {
    const second = await startTestStack({ after: t });
    try {
      const [first, other] = await Promise.all([t.url, second.url].map(async (url) => readJson(await fetch(`${url}${JWKS_PATH}`))));
      expect(other).toEqual(first);
      const res = await second.api('/v1/rooms/r_ed-second/tokens', { method: 'POST', json: { identity: 'carol', capabilities: ['subscribe:all'], alg: 'EdDSA' } });
      const { token } = await readJson(res);
      expect(await codeOf(token)).toBe('ok');
      await jwtVerify(token, createRemoteJWKSet(new URL(`${t.url}${JWKS_PATH}`)), { issuer: 'levelchat' });
    } finally {
      await second.stop();
    }
  });
});
