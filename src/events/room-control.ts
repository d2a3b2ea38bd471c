/** Commands published to every node; the signaling layer acts on those for its participants. */
export type RoomControl =
  | { type: 'kick'; room_id: string; identity: string; reason: 'kicked' | 'revoked' }
  /** A moderator on the room's origin invited a participant this node may hold: send it there. */
  | { type: 'stage-invite'; room_id: string; participant_id: string; signaling_url: string };
