// What the SDK tells you about a room, as plain data (camelCase, from the protocol's snake_case):
// people, tracks, chat, questions, hands, breakouts. No behaviour beyond the conversions.
import type { MediaSource, ParticipantInfo, Question as QuestionInfo, RaisedHand as RaisedHandInfo } from '../../src/signaling/protocol.js';

/** Someone in the room. */
export interface Participant {
  id: string;
  identity: string;
  name: string | null;
  metadata: string | null;
  handRaised: boolean;
  /** May publish (a publish capability, or invited on stage by a moderator). */
  onStage: boolean;
}

/** You, in the room, with what your token allows. */
export interface LocalParticipant extends Participant {
  capabilities: string[];
}

/** A remote track this session receives (the SDK subscribes to every published track itself). */
export interface SubscribedTrack {
  participantId: string;
  producerId: string;
  kind: 'audio' | 'video';
  source: MediaSource;
  track: MediaStreamTrack;
  /** WebRTC statistics of this track's receiver (`inbound-rtp` and friends). */
  getStats(): Promise<RTCStatsReport>;
}

export interface UnsubscribedTrack {
  participantId: string;
  producerId: string;
  kind: 'audio' | 'video';
  source: MediaSource;
}

export interface ConnectionQuality {
  /** Round-trip time in milliseconds, as the server measures it; null before any RTCP. */
  rtt: number | null;
  /** Fraction of packets lost, 0..1; null before any RTCP. */
  fractionLost: number | null;
}

export interface ChatMessage {
  id: string;
  participantId: string;
  identity: string;
  text: string;
  at: string;
}

/** A Q&A question (`live.questions`, `question` event). */
export interface Question {
  id: string;
  participantId: string;
  identity: string;
  text: string;
  /** One per identity (`live.upvoteQuestion`). */
  votes: number;
  state: 'open' | 'answered' | 'dismissed';
  /** The moderator's answer, if they gave one with `answerQuestion`. */
  answer: string | null;
  askedAt: string;
}

/** A raised hand in the moderators' queue (`live.handQueue`, `hand-queue` event). */
export interface RaisedHand {
  participantId: string;
  identity: string;
  raisedAt: string;
}

export type DisconnectReason = 'host_ended' | 'kicked' | 'revoked' | 'token_expired' | 'network';

/** A breakout room of the current layout (`breakouts` event). */
export interface BreakoutRoom {
  roomId: string;
  number: number;
  identities: string[];
}

/** Why you came back from a breakout: it was closed, it ended, you left it, or it failed. */
export type BreakoutLeftReason = 'closed' | 'ended' | 'left' | 'failed';

export function toParticipant(p: ParticipantInfo): Participant {
  return { id: p.id, identity: p.identity, name: p.name, metadata: p.metadata, handRaised: p.hand_raised, onStage: p.on_stage ?? false };
}

export function toChatMessage(m: { id: string; participant_id: string; identity: string; text: string; at: string }): ChatMessage {
  return { id: m.id, participantId: m.participant_id, identity: m.identity, text: m.text, at: m.at };
}

export function toQuestion(q: QuestionInfo): Question {
  return { id: q.id, participantId: q.participant_id, identity: q.identity, text: q.text, votes: q.votes, state: q.state, answer: q.answer, askedAt: q.asked_at };
}

export function toRaisedHand(h: RaisedHandInfo): RaisedHand {
  return { participantId: h.participant_id, identity: h.identity, raisedAt: h.raised_at };
}

/** Most votes first, then oldest first (the server's order). */
export function byVotes(a: Question, b: Question): number {
  return b.votes - a.votes || a.askedAt.localeCompare(b.askedAt);
}
