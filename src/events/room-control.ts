/** Commands published to every node; the signaling layer acts on those for its participants. */
export type RoomControl = { type: 'kick'; room_id: string; identity: string; reason: 'kicked' | 'revoked' };
