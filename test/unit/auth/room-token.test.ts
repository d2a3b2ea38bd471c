import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { generateApiKey, tokenSigningKey } from '../../../src/auth/api-key.js';
import { mintRoomToken, TokenError, verifyRoomToken, type TokenKeys } from '../../../src/auth/room-token.js';

const apiKey = generateApiKey();
const key = tokenSigningKey(apiKey.secret);
const keys: TokenKeys = {
  signingKey: async (id) => (id === apiKey.id ? key : undefined),
  edPublicKey: async () => undefined,
};
const grant = { roomId: 'r_unit', identity: 'alice', capabilities: ['subscribe:all' as const], ttlS: 60 };

async function refusal(token: string): Promise<string> {
  try {
    await verifyRoomToken(token, keys);
    return 'accepted';
  } catch (err) {
    return err instanceof TokenError ? err.code : `not a TokenError: ${String(err)}`;
  }
}

describe('room tokens', () => {
  it('verify to the grant they were minted with', async () => {
    const { token, jti } = await mintRoomToken({ alg: 'HS256', kid: apiKey.id, key }, apiKey.id, grant);
    const verified = await verifyRoomToken(token, keys);
    expect(verified).toMatchObject({ roomId: 'r_unit', identity: 'alice', capabilities: ['subscribe:all'], jti, keyId: apiKey.id });
  });

  it('refuse garbage, other keys, expiry and tampering with stable codes', async () => {
    const { token } = await mintRoomToken({ alg: 'HS256', kid: apiKey.id, key }, apiKey.id, grant);
    expect(await refusal('not.a.jwt')).toBe('token_malformed');
    const other = generateApiKey();
    const foreign = await mintRoomToken({ alg: 'HS256', kid: other.id, key: tokenSigningKey(other.secret) }, other.id, grant);
    expect(await refusal(foreign.token)).toBe('token_unknown_key');
    const [h, p, s] = token.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const tampered = Buffer.from(JSON.stringify({ ...claims, caps: ['moderate:participants'] })).toString('base64url');
    expect(await refusal(`${h}.${tampered}.${s}`)).toBe('token_invalid');
    const expired = await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 }).setProtectedHeader({ alg: 'HS256', kid: apiKey.id }).sign(key);
    expect(await refusal(expired)).toBe('token_expired');
  });

  it('refuse a malformed key id before looking it up (a numeric kid is token_malformed, not internal)', async () => {
    const looked: string[] = [];
    const spying: TokenKeys = { signingKey: async (id) => (looked.push(id), undefined), edPublicKey: async (id) => (looked.push(id), undefined) };
    for (const kid of [12345, 'short', 'has space in it', 'ed_tooShort', 'x'.repeat(65), { id: 'a' }]) {
      const token = `${Buffer.from(JSON.stringify({ alg: 'HS256', kid })).toString('base64url')}.${Buffer.from('{}').toString('base64url')}.sig`;
      await expect(verifyRoomToken(token, spying)).rejects.toMatchObject({ code: 'token_malformed' });
    }
    expect(looked).toEqual([]);
  });

  it('refuse a lifetime beyond the cap, also when signed offline with the right key', async () => {
    const now = Math.floor(Date.now() / 1000);
    const centennial = await new SignJWT({ room: 'r_unit', caps: [], iat_ms: Date.now() })
      .setProtectedHeader({ alg: 'HS256', kid: apiKey.id })
      .setIssuer('levelchat')
      .setSubject('mallory')
      .setJti('abcdefghij')
      .setExpirationTime(now + 100 * 365 * 24 * 3600)
      .sign(key);
    expect(await refusal(centennial)).toBe('token_invalid');
    const week = await new SignJWT({ room: 'r_unit', caps: [], iat_ms: Date.now() })
      .setProtectedHeader({ alg: 'HS256', kid: apiKey.id })
      .setIssuer('levelchat')
      .setSubject('alice')
      .setJti('abcdefghij')
      .setExpirationTime(now + 7 * 24 * 3600)
      .sign(key);
    expect(await refusal(week)).toBe('accepted');
  });
});
