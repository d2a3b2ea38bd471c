import { SignJWT, decodeProtectedHeader, jwtVerify } from 'jose';
import { TOKEN_ISSUER } from './room-token.js';

/** Tokens carried in LL-HLS URLs (`?token=`): watch one room, nothing else. Short claims, URL-safe. */
export const PLAYBACK_SCOPE = 'hls';
export const PLAYBACK_TOKEN_TTL_S = 6 * 3600;

/** Who a valid playback token was minted for, and when (what a revocation of that identity compares with). */
export interface PlaybackGrant {
  identity: string;
  issuedAtMs: number;
}

export async function mintPlaybackToken(
  signingKey: Uint8Array,
  keyId: string,
  grant: { roomId: string; identity: string; ttlS?: number | undefined },
  /** The issue time: what revocations compare with. */
  nowMs = Date.now(),
): Promise<string> {
  const now = Math.floor(nowMs / 1000);
  return new SignJWT({ room: grant.roomId, scope: PLAYBACK_SCOPE, iat_ms: nowMs })
    .setProtectedHeader({ alg: 'HS256', kid: keyId })
    .setIssuer(TOKEN_ISSUER)
    .setSubject(grant.identity)
    .setIssuedAt(now)
    .setExpirationTime(now + (grant.ttlS ?? PLAYBACK_TOKEN_TTL_S))
    .sign(signingKey);
}

/** The grant of a valid, unexpired playback token for `roomId` signed by `ownerKeyId`; null otherwise. */
export async function verifyPlaybackToken(
  token: string,
  roomId: string,
  ownerKeyId: string,
  signingKeyFor: (kid: string) => Promise<Uint8Array | undefined>,
): Promise<PlaybackGrant | null> {
  if (token.length > 4096) return null;
  try {
    const { kid } = decodeProtectedHeader(token);
    if (kid !== ownerKeyId) return null;
    const key = await signingKeyFor(kid);
    if (!key) return null;
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: TOKEN_ISSUER, clockTolerance: 5 });
    if (payload.room !== roomId || payload.scope !== PLAYBACK_SCOPE || typeof payload.sub !== 'string') return null;
    // Tokens from before iat_ms count from the start of their second (a revocation then covers them).
    const issuedAtMs = typeof payload['iat_ms'] === 'number' ? payload['iat_ms'] : (payload.iat ?? 0) * 1000;
    return { identity: payload.sub, issuedAtMs };
  } catch {
    return null;
  }
}
