import { describe, expect, it } from 'vitest';
import { formatApiKey, generateApiKey, hashSecret, parseApiKey, secretMatches, tokenSigningKey } from '../../../src/auth/api-key.js';

describe('API keys', () => {
  it('round-trips a generated key through its text form', () => {
    const key = generateApiKey();
    expect(parseApiKey(formatApiKey(key))).toEqual(key);
  });

  it('refuses text that is not lc_pk_<id>.<secret>', () => {
    for (const bad of ['', 'lc_pk_abc.short', 'lc_sk_abcdefgh.0123456789abcdef', 'lc_pk_abcdefgh', 'lc_pk_abc$defgh.0123456789abcdef', ' lc_pk_abcdefgh.0123456789abcdef']) {
      expect(parseApiKey(bad)).toBeUndefined();
    }
  });

  it('checks a secret against its stored hash only', () => {
    const { secret } = generateApiKey();
    const stored = hashSecret(secret);
    expect(stored).not.toContain(secret);
    expect(secretMatches(secret, stored)).toBe(true);
    expect(secretMatches(`${secret}x`, stored)).toBe(false);
    expect(secretMatches(secret, 'not hex')).toBe(false);
  });

  it('derives the same 32-byte token signing key from the same secret (offline minting)', () => {
    const { secret } = generateApiKey();
    expect(tokenSigningKey(secret)).toEqual(tokenSigningKey(secret));
    expect(tokenSigningKey(secret)).toHaveLength(32);
    expect(tokenSigningKey(secret)).not.toEqual(tokenSigningKey(`${secret}x`));
  });
});
