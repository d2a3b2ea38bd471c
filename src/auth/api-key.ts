import { createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** `lc_pk_<id>.<secret>`: the id is public (it is the JWT `kid`), the secret is shown once. */
const API_KEY_PATTERN = /^lc_pk_([A-Za-z0-9]{8,64})\.([A-Za-z0-9_-]{16,128})$/;

const API_KEY_ID_PATTERN = /^[A-Za-z0-9]{8,64}$/;

/** Whether `id` has the shape of an API key id (checked before any lookup). */
export const isApiKeyId = (id: string): boolean => API_KEY_ID_PATTERN.test(id);

export interface ParsedApiKey {
  id: string;
  secret: string;
}

export function parseApiKey(value: string): ParsedApiKey | undefined {
  const m = API_KEY_PATTERN.exec(value);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

export function formatApiKey({ id, secret }: ParsedApiKey): string {
  return `lc_pk_${id}.${secret}`;
}

export function generateApiKey(): ParsedApiKey {
  return { id: randomBytes(9).toString('base64url').replace(/[-_]/g, 'x').slice(0, 12), secret: randomBytes(24).toString('base64url') };
}

/** What is stored to check a presented secret: its SHA-256 (secrets are random, 192 bits). */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

/**
 * The HS256 key room tokens are signed with, derived from the API key's secret. The server keeps
 * this derived key, never the secret itself: a leaked signing key can mint room tokens but cannot
 * call the REST API. An integrator can derive the same key from its secret to mint tokens offline.
 */
export function tokenSigningKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'levelchat', 'levelchat room token v1', 32));
}
