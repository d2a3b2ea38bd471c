// The room as this session knows it: who is here, chat, questions, hands, the audience, where its
// LL-HLS is. Taken in from join and resume answers, kept up to date from the server's events, each
// change reported as the room event it is.
import type { JoinResult, MediaSource } from '../../src/signaling/protocol.js';
import { SOURCE_CAPABILITIES } from '../../src/auth/capability-rules.js';
import type { EventSink } from '../shared/emitter.js';
import { absoluteHlsUrl } from './llhls.js';
import {
  byVotes,
  toChatMessage,
  toParticipant,
  toQuestion,
  toRaisedHand,
  type BreakoutRoom,
  type ChatMessage,
  type ConnectionQuality,
  type LocalParticipant,
  type Participant,
  type Question,
  type RaisedHand,
} from './room-data.js';
import type { SignalingEvent } from './signaling-client.js';

/** Chat kept for `chatHistory` (the server's history included), oldest dropped first. */
const CHAT_KEPT = 500;

export interface RoomStateEventMap {
  'participant-joined': [participant: Participant];
  'participant-left': [participant: Participant];
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
  /** A hybrid room became a broadcast; `hlsUrl` (absolute) plays it over LL-HLS (`live.playHls`). */
  promoted: [info: { hlsUrl: string | null }];
  /** Broadcast rooms: the audience size (viewers are counted, not announced one by one). */
  'viewer-count': [count: number];
  /** Someone (maybe you) was invited on stage or taken off it. */
  stage: [info: { participantId: string; onStage: boolean }];
  /** The breakout layout changed (to everyone); `open: false` when everyone is sent back. */
  breakouts: [info: { open: boolean; rooms: BreakoutRoom[] }];
}

type RoomStateEvent = Extract<SignalingEvent, { event: keyof RoomStateEventMap }>;

/** What a session knows of its room before any answer: which room, and you. */
export interface RoomSeat {
  roomId: string;
  roomType: string;
  local: LocalParticipant;
  hlsUrl: string | null;
}

export class RoomState {
  readonly #events: EventSink<RoomStateEventMap>;
  #roomId: string;
  #roomType: string;
  #local: LocalParticipant;
  #hlsUrl: string | null;
  readonly #remote = new Map<string, Participant>();
  readonly #chat: ChatMessage[] = [];
  /** Open questions, most voted first. */
  #questions: Question[] = [];
  #hands: RaisedHand[] = [];
  #viewers = 0;

  constructor(seat: RoomSeat, events: EventSink<RoomStateEventMap>) {
    this.#events = events;
    this.#roomId = seat.roomId;
    this.#roomType = seat.roomType;
    this.#local = seat.local;
    this.#hlsUrl = seat.hlsUrl;
  }

  /** The room as the first join answered it (at the node `nodeUrl`), with its chat history. */
  static joined(result: JoinResult, nodeUrl: string, events: EventSink<RoomStateEventMap>): RoomState {
    const state = new RoomState({ roomId: result.room.id, roomType: result.room.type, local: localOf(result), hlsUrl: null }, events);
    state.#takeIn(result, nodeUrl);
    state.#chat.push(...result.chat_history.map(toChatMessage));
    return state;
  }

  get roomId(): string {
    return this.#roomId;
  }

  get roomType(): string {
    return this.#roomType;
  }

  get local(): LocalParticipant {
    return this.#local;
  }

  get participants(): ReadonlyMap<string, Participant> {
    return this.#remote;
  }

  get chat(): readonly ChatMessage[] {
    return this.#chat;
  }

  get questions(): readonly Question[] {
    return this.#questions;
  }

  get hands(): readonly RaisedHand[] {
    return this.#hands;
  }

  get viewers(): number {
    return this.#viewers;
  }

  /** The room's LL-HLS master playlist (absolute), when it is delivered over LL-HLS. */
  get hlsUrl(): string | null {
    return this.#hlsUrl;
  }

  /** Your token lets you receive everyone's tracks. */
  get canSubscribe(): boolean {
    return this.#local.capabilities.includes('subscribe:all');
  }

  /** You may publish `source`: your token allows it, or a moderator put you on stage. */
  mayPublish(source: MediaSource): boolean {
    return this.#local.onStage || SOURCE_CAPABILITIES[source].some((c) => this.#local.capabilities.includes(c));
  }

  /** Your own hand went up or down (the server announces it to the others). */
  setOwnHand(raised: boolean): void {
    this.#local.handRaised = raised;
  }

  /** A later answer (a resume, or a join on another node): reports who came and went meanwhile. */
  rejoined(result: JoinResult, nodeUrl: string): void {
    const before = new Map(this.#remote);
    this.#takeIn(result, nodeUrl);
    for (const [id, p] of before) if (!this.#remote.has(id)) this.#events.emit('participant-left', p);
    for (const [id, p] of this.#remote) if (!before.has(id)) this.#events.emit('participant-joined', p);
  }

  /** A server event about the room; paths in it are on the node at `nodeUrl`. */
  handle(e: RoomStateEvent, nodeUrl: string): void {
    switch (e.event) {
      case 'participant-joined': {
        if (e.data.id === this.#local.id || this.#remote.has(e.data.id)) return;
        const p = toParticipant(e.data);
        this.#remote.set(p.id, p);
        this.#events.emit('participant-joined', p);
        return;
      }
      case 'participant-left': {
        const p = this.#remote.get(e.data.id) ?? { id: e.data.id, identity: e.data.identity, name: null, metadata: null, handRaised: false, onStage: false };
        if (!this.#remote.delete(e.data.id)) return;
        this.#events.emit('participant-left', p);
        return;
      }
      case 'stage': {
        const p = this.#someone(e.data.participant_id);
        if (p) p.onStage = e.data.on_stage;
        this.#events.emit('stage', { participantId: e.data.participant_id, onStage: e.data.on_stage });
        return;
      }
      case 'hand': {
        const p = this.#someone(e.data.participant_id);
        if (p) p.handRaised = e.data.raised;
        this.#events.emit('hand', { participantId: e.data.participant_id, raised: e.data.raised });
        return;
      }
      case 'hand-queue':
        this.#hands = e.data.queue.map(toRaisedHand);
        this.#events.emit('hand-queue', [...this.#hands]);
        return;
      case 'viewer-count':
        this.#viewers = e.data.count;
        this.#events.emit('viewer-count', e.data.count);
        return;
      case 'promoted':
        if (e.data.hls_url) this.#hlsUrl = absoluteHlsUrl(e.data.hls_url, nodeUrl);
        this.#events.emit('promoted', { hlsUrl: e.data.hls_url ? this.#hlsUrl : null });
        return;
      case 'chat': {
        const message = toChatMessage(e.data);
        this.#chat.push(message);
        if (this.#chat.length > CHAT_KEPT) this.#chat.shift();
        this.#events.emit('chat', message);
        return;
      }
      case 'chat-deleted': {
        const i = this.#chat.findIndex((m) => m.id === e.data.message_id);
        if (i >= 0) this.#chat.splice(i, 1);
        this.#events.emit('chat-deleted', { messageId: e.data.message_id, by: e.data.by });
        return;
      }
      case 'question': {
        const question = toQuestion(e.data);
        const rest = this.#questions.filter((q) => q.id !== question.id);
        this.#questions = question.state === 'open' ? [...rest, question].sort(byVotes) : rest;
        this.#events.emit('question', question);
        return;
      }
      case 'reaction':
        this.#events.emit('reaction', { participantId: e.data.participant_id, emoji: e.data.emoji });
        return;
      case 'active-speaker':
        this.#events.emit('active-speaker', e.data.participant_id);
        return;
      case 'connection-quality':
        for (const q of e.data.qualities) this.#events.emit('connection-quality', q.participant_id, { rtt: q.rtt, fractionLost: q.fraction_lost });
        return;
      case 'breakouts':
        this.#events.emit('breakouts', { open: e.data.open, rooms: e.data.rooms.map((r) => ({ roomId: r.room_id, number: r.number, identities: r.identities })) });
        return;
    }
  }

  #takeIn(result: JoinResult, nodeUrl: string): void {
    this.#roomId = result.room.id;
    this.#roomType = result.room.type;
    this.#local = localOf(result);
    this.#viewers = result.viewer_count;
    this.#questions = result.questions.map(toQuestion).sort(byVotes);
    this.#hands = result.hand_queue.map(toRaisedHand);
    if (result.room.config['hls'] === true) this.#hlsUrl ??= absoluteHlsUrl(`/hls/${result.room.id}/master.m3u8`, nodeUrl);
    this.#remote.clear();
    for (const p of result.participants) this.#remote.set(p.id, toParticipant(p));
  }

  #someone(participantId: string): Participant | undefined {
    return participantId === this.#local.id ? this.#local : this.#remote.get(participantId);
  }
}

function localOf(result: JoinResult): LocalParticipant {
  return { ...toParticipant(result.participant), capabilities: [...result.participant.capabilities] };
}
