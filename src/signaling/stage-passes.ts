import type { Redis } from 'ioredis';
import { roomControlChannel } from '../events/event-keys.js';
import type { RoomControl } from '../events/room-control.js';

/** How long an invited participant has to arrive at the room's origin node. */
const PASS_TTL_MS = 60_000;

const passKey = (roomId: string, identity: string) => `lc:room:${roomId}:stage-pass:${identity}`;

/**
 * Stage invitations across nodes. The stage lives on the room's origin node; a moderator there
 * may invite a viewer who watches from another node. The invitation goes to every node; the one
 * holding the viewer leaves a pass for the viewer's identity and tells the client to join the
 * origin, which puts the arriving identity on stage (once: taking the pass deletes it).
 */
export class StagePasses {
  constructor(private readonly redis: Redis) {}

  /** Sends the invitation of `participantId` (on some other node) to every node. */
  async forward(roomId: string, participantId: string, signalingUrl: string): Promise<void> {
    const control: RoomControl = { type: 'stage-invite', room_id: roomId, participant_id: participantId, signaling_url: signalingUrl };
    await this.redis.publish(roomControlChannel(this.redis), JSON.stringify(control));
  }

  async issue(roomId: string, identity: string): Promise<void> {
    await this.redis.set(passKey(roomId, identity), '1', 'PX', PASS_TTL_MS);
  }

  /** Whether `identity` holds a pass for the room's stage; it is used up either way. */
  async take(roomId: string, identity: string): Promise<boolean> {
    return (await this.redis.getdel(passKey(roomId, identity))) !== null;
  }
}
