import type { MediaSource, ParticipantInfo } from '../../src/signaling/protocol.js';
import { Emitter } from './emitter.js';
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
