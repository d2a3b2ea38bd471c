import type { MediaSource, ParticipantInfo, Question as QuestionInfo, RaisedHand as RaisedHandInfo } from '../../src/signaling/protocol.js';
import { Emitter } from '../shared/emitter.js';
import type { LevelChatErrorCode } from './errors.js';
import type { LiveSession } from './live-session.js';

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

export type DisconnectReason = 'host_ended' | 'kicked' | 'revoked' | 'network';

/** A breakout room of the current layout (`breakouts` event). */
export interface BreakoutRoom {
  roomId: string;
  number: number;
  identities: string[];
}

/** Why you came back from a breakout: it was closed, it ended, you left it, or it failed. */
export type BreakoutLeftReason = 'closed' | 'ended' | 'left' | 'failed';

export interface RoomEventMap {
  'participant-joined': [participant: Participant];
  'participant-left': [participant: Participant];
  'track-subscribed': [track: SubscribedTrack];
  'track-unsubscribed': [track: UnsubscribedTrack];
  'connection-quality': [participantId: string, quality: ConnectionQuality];
  'active-speaker': [participantId: string | null];
  chat: [message: ChatMessage];
  reaction: [reaction: { participantId: string; emoji: string }];
  hand: [hand: { participantId: string; raised: boolean }];
  /** Moderators: the raised hands, in the order they went up (on every change); also `live.handQueue`. */
  'hand-queue': [queue: RaisedHand[]];
  /** A question was asked, upvoted, answered or dismissed (`live.questions` is already updated). */
  question: [question: Question];
  /** A moderator deleted a chat message (it is already gone from `live.chatHistory`). */
  'chat-deleted': [info: { messageId: string; by: string }];
  error: [error: { code: LevelChatErrorCode; message: string }];
  disconnected: [info: { reason: DisconnectReason }];
  /** A hybrid room became a broadcast; `hlsUrl` (absolute) plays it over LL-HLS (`live.playHls`). */
  promoted: [info: { hlsUrl: string | null }];
  /** Broadcast rooms: the audience size (viewers are counted, not announced one by one). */
  'viewer-count': [count: number];
  /** Someone (maybe you) was invited on stage or taken off it. */
  stage: [info: { participantId: string; onStage: boolean }];
  /** The breakout layout changed (to everyone); `open: false` when everyone is sent back. */
  breakouts: [info: { open: boolean; rooms: BreakoutRoom[] }];
  /**
   * You were moved into a breakout: `session` is that room, joined (listen on `session.room` for
   * its tracks: none arrived yet). Right after, the main room's media pauses and your camera and
   * microphone move there (`session.localTracks`).
   */
  'breakout-joined': [info: { roomId: string; number: number; session: LiveSession }];
  /** You are back in the main room: media resumed, camera and microphone published here again. */
  'breakout-left': [info: { roomId: string; number: number; reason: BreakoutLeftReason }];
  /**
   * A media server process failed: your media was rebuilt on another (you stay in the room). The
   * SDK publishes your tracks again (same handles, new `producerId`s) and receives everyone's again:
   * `track-unsubscribed` then `track-subscribed` (new tracks) for each remote track.
   */
  'media-reset': [info: { reason: 'worker_died' }];
  /** The connection dropped and the SDK is resuming (`disconnected` follows if it cannot). */
  reconnecting: [];
  reconnected: [];
}

/** `live.room`: subscribe with `on(event, listener)`; `on` returns an unsubscribe function. */
export class RoomEvents extends Emitter<RoomEventMap> {}

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
