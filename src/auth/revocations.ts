import type { Redis } from 'ioredis';
import { redisClock, type Clock } from './redis-clock.js';
import type { RoomGrant } from './room-token.js';

const revokedKey = (roomId: string) => `lc:room:${roomId}:revoked`;

/**
 * Revocation by identity: every token issued to that identity for that room before the revocation
 * is refused, at join and at every later use; so are its playback tokens. Tokens minted afterwards
 * work (a re-invite). Both times come from one clock (Redis'), whichever nodes minted and revoked.
 */
export class Revocations {
  constructor(
    private readonly redis: Redis,
    private readonly clock: Clock = redisClock(redis),
  ) {}

  async revoke(roomId: string, identity: string): Promise<void> {
    await this.redis.hset(revokedKey(roomId), identity, String(await this.clock()));
  }

  /** When the identity's tokens for the room were last revoked (ms), or null. */
  async revokedAt(roomId: string, identity: string): Promise<number | null> {
    const at = await this.redis.hget(revokedKey(roomId), identity);
    return at === null ? null : Number(at);
  }

  async isRevoked(grant: RoomGrant): Promise<boolean> {
    return isRevokedBy(await this.revokedAt(grant.roomId, grant.identity), grant.issuedAtMs);
  }
}

/** Whether a token issued at `issuedAtMs` falls under a revocation at `revokedAtMs`. */
export const isRevokedBy = (revokedAtMs: number | null, issuedAtMs: number): boolean => revokedAtMs !== null && issuedAtMs <= revokedAtMs;
