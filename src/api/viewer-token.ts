import type { Request } from 'express';
import { ProblemError } from '../../common/problem.js';
import type { ApiKeyStore } from '../auth/api-key-store.js';
import { verifyPlaybackToken } from '../auth/playback-token.js';
import { isRevokedBy, type Revocations } from '../auth/revocations.js';
import { TokenError } from '../auth/room-token.js';
import type { TokenMinter } from '../auth/token-minter.js';
import type { RoomRepository } from '../rooms/room-repository.js';

export interface ViewerTokenDeps {
  minter: Pick<TokenMinter, 'verify'>;
  repository: Pick<RoomRepository, 'get'>;
  keys: Pick<ApiKeyStore, 'signingKey'>;
  revocations: Pick<Revocations, 'revokedAt'>;
}

/** Who a viewer's token names: its identity in the room, and the token itself (what rate limits key on). */
export interface Viewer {
  identity: string;
  token: string;
}

/** The bearer token of a request; 401 token_required without one. */
export function bearerToken(req: Request): string {
  const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  if (!m) throw new ProblemError('token_required', 'send Authorization: Bearer <room token or playback token>', { headers: { 'WWW-Authenticate': 'Bearer' } });
  return m[1]!;
}

/**
 * Accepts a room token (any capabilities) or a playback token of `roomId`, neither revoked: a
 * WebRTC viewer holds the first, an LL-HLS viewer may hold only the second. Throws the problem a
 * refused token gets (401, or 403 token_room_mismatch for a room token of another room).
 */
export async function verifyViewerToken(deps: ViewerTokenDeps, roomId: string, token: string): Promise<Viewer> {
  let refusal: TokenError | null = null;
  try {
    const grant = await deps.minter.verify(token);
    if (grant.roomId !== roomId) throw new ProblemError('token_room_mismatch', 'this token is for another room');
    if (isRevokedBy(await deps.revocations.revokedAt(roomId, grant.identity), grant.issuedAtMs)) throw new ProblemError('token_revoked', 'this token was revoked');
    return { identity: grant.identity, token };
  } catch (err) {
    if (!(err instanceof TokenError)) throw err;
    refusal = err;
  }
  // Not a room token: a playback token, signed by the key that owns the room.
  const room = await deps.repository.get(roomId);
  const grant = room ? await verifyPlaybackToken(token, roomId, room.owner, (kid) => deps.keys.signingKey(kid)) : null;
  if (!grant) {
    // The room token's reason when it looked like one (expired says more than invalid).
    const code = refusal.code === 'token_expired' ? 'token_expired' : 'token_invalid';
    throw new ProblemError(code, 'send a room token or a playback token of this room');
  }
  if (isRevokedBy(await deps.revocations.revokedAt(roomId, grant.identity), grant.issuedAtMs)) throw new ProblemError('token_revoked', 'this token was revoked');
  return { identity: grant.identity, token };
}
