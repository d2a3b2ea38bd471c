import type { Revocations } from '../../auth/revocations.js';
import type { RoomGrant } from '../../auth/room-token.js';
import type { TokenMinter } from '../../auth/token-minter.js';
import type { RoomService } from '../../rooms/room-service.js';
import type { ChatStore } from '../chat-store.js';
import type { LiveRoom } from '../live-room.js';
import type { Participant } from '../participant.js';
import type { QuestionStore } from '../../rooms/question-store.js';
import type { Method, RequestData } from '../protocol.js';

/** What feature handlers may use beyond the participant and its room. */
export interface SignalingServices {
  rtc: { listenIp: string; announcedIp: string | undefined };
  chat: ChatStore;
  questions: QuestionStore;
  rooms: RoomService;
  minter: TokenMinter;
  revocations: Revocations;
  /** The grant of a valid token that was not revoked (as a join checks it). */
  verify(token: string): Promise<RoomGrant>;
  /**
   * Invites on stage a participant that is not on this node (the room's origin): whichever node
   * holds it sends it here. False when no other node could hold it.
   */
  inviteFromOtherNode(room: LiveRoom, participantId: string): Promise<boolean>;
  /** Disconnects a participant for good (no resume). */
  remove(room: LiveRoom, participant: Participant, event: { kind: 'kicked'; reason: 'kicked' | 'revoked' } | { kind: 'left' } | { kind: 'expired' }): Promise<void>;
}

export interface HandlerContext {
  participant: Participant;
  room: LiveRoom;
  services: SignalingServices;
}

export type Handler<M extends Method> = (ctx: HandlerContext, data: RequestData<M>) => Promise<unknown>;

/** One room feature: the signaling methods it answers. */
export type Feature = { [M in Method]?: Handler<M> };

/**
 * Who says something to the whole room (a chat message, a question), once they may: it takes
 * `chat:send` and a token of the `limit` rate limit.
 */
export function speaker({ participant, room }: HandlerContext, limit: 'chat' | 'question'): { participant_id: string; identity: string } {
  participant.require('chat:send');
  room.limit(participant, limit);
  return { participant_id: participant.id, identity: participant.identity };
}
