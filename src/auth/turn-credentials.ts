import { createHmac } from 'node:crypto';

/**
 * Time-limited TURN credentials, the "TURN REST API" scheme coturn implements (`use-auth-secret` with
 * `static-auth-secret`): username `<unix expiry>:<identity>`, password base64(HMAC-SHA1(secret,
 * username)). The TURN server shares only the secret with LevelChat and checks the expiry itself,
 * so nothing is stored per user and a leaked credential lapses on its own.
 */
export function turnCredentials(secret: string, identity: string, ttlS: number, nowMs = Date.now()): { username: string; credential: string } {
  const username = `${Math.floor(nowMs / 1000) + ttlS}:${identity}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}
