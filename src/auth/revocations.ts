import type { Redis } from 'ioredis';
import type { RoomGrant } from './room-token.js';

const revokedKey = (roomId: string) => `lc:room:${roomId}:revoked`;

/**
 * Revocation by identity: every token issued to that identity for that room before the revocation
 * is refused, at join and at every later use. Tokens minted afterwards work (a re-invite).
 */
export class Revocations {
  constructor(private readonly redis: Redis) {}

  async revoke(roomId: string, identity: string, atMs = Date.now()): Promise<void> {
    await this.redis.hset(revokedKey(roomId), identity, String(atMs));
  }

  async isRevoked(grant: RoomGrant): Promise<boolean> {
    const at = await this.redis.hget(revokedKey(grant.roomId), grant.identity);
    return at !== null && grant.issuedAtMs <= Number(at);
  }
}
