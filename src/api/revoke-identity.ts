import type { Redis } from 'ioredis';
import type { Revocations } from '../auth/revocations.js';
import { roomControlChannel } from '../events/event-keys.js';
import type { RoomControl } from '../events/room-control.js';

export interface IdentityRevoker {
  revocations: Pick<Revocations, 'revoke'>;
  redis: Redis;
}

/**
 * Takes an identity out of a room: every token issued to it for the room before now, room and
 * playback alike, is refused from now on, and its sessions on every node are disconnected (reason
 * `revoked`). A token minted afterwards lets it back in.
 */
export async function revokeIdentity({ revocations, redis }: IdentityRevoker, roomId: string, identity: string): Promise<void> {
  await revocations.revoke(roomId, identity);
  const control: RoomControl = { type: 'kick', room_id: roomId, identity, reason: 'revoked' };
  await redis.publish(roomControlChannel(redis), JSON.stringify(control));
}
