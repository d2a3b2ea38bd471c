import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { roomControlChannel } from '../events/event-keys.js';
import type { RoomControl } from '../events/room-control.js';

/** How long an invited participant has to arrive at the room's origin node. */
const PASS_TTL_MS = 60_000;

const passKey = (roomId: string, pass: string) => `lc:room:${roomId}:stage-pass:${pass}`;

/**
 * Stage invitations across nodes. The stage lives on the room's origin node; a moderator there
 * may invite a viewer who watches from another node. The invitation goes to every node; the one
 * holding the viewer issues a one-time pass for the viewer's identity and sends it to the client,
 * which joins the origin with it: on stage there (taking the pass deletes it). Only a join that
 * presents a pass costs a Redis call.
 */
export class StagePasses {
  constructor(private readonly redis: Redis) {}

  /** Sends the invitation of `participantId` (on some other node) to every node. */
  async forward(roomId: string, participantId: string, signalingUrl: string): Promise<void> {
    const control: RoomControl = { type: 'stage-invite', room_id: roomId, participant_id: participantId, signaling_url: signalingUrl };
    await this.redis.publish(roomControlChannel(this.redis), JSON.stringify(control));
  }

  /** A new pass for `identity` to take the room's stage. */
  async issue(roomId: string, identity: string): Promise<string> {
    const pass = randomBytes(18).toString('base64url');
    await this.redis.set(passKey(roomId, pass), identity, 'PX', PASS_TTL_MS);
    return pass;
  }

  /** Whether `pass` lets `identity` take the room's stage; it is used up either way. */
  async take(roomId: string, pass: string, identity: string): Promise<boolean> {
    return (await this.redis.getdel(passKey(roomId, pass))) === identity;
  }
}
