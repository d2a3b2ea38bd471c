import { SignJWT, decodeProtectedHeader, jwtVerify } from 'jose';
import { TOKEN_ISSUER } from './room-token.js';

/** Tokens carried in LL-HLS URLs (`?token=`): watch one room, nothing else. Short claims, URL-safe. */
export const PLAYBACK_SCOPE = 'hls';
export const PLAYBACK_TOKEN_TTL_S = 6 * 3600;

export async function mintPlaybackToken(signingKey: Uint8Array, keyId: string, roomId: string, identity: string, ttlS = PLAYBACK_TOKEN_TTL_S): Promise<string> {
  return new SignJWT({ room: roomId, scope: PLAYBACK_SCOPE })
    .setProtectedHeader({ alg: 'HS256', kid: keyId })
    .setIssuer(TOKEN_ISSUER)
    .setSubject(identity)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlS)
    .sign(signingKey);
}

/** True when `token` is a valid, unexpired playback token for `roomId` signed by `ownerKeyId`. */
export async function verifyPlaybackToken(token: string, roomId: string, ownerKeyId: string, signingKeyFor: (kid: string) => Promise<Uint8Array | undefined>): Promise<boolean> {
  if (token.length > 4096) return false;
  try {
    const { kid } = decodeProtectedHeader(token);
    if (kid !== ownerKeyId) return false;
    const key = await signingKeyFor(kid);
    if (!key) return false;
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: TOKEN_ISSUER, clockTolerance: 5 });
    return payload.room === roomId && payload.scope === PLAYBACK_SCOPE;
  } catch {
    return false;
  }
}
