// The signaling protocol on `/v1/rtc`: JSON frames over one WebSocket. Shared by the server and the
// browser SDK (@levelchat/web), so both sides validate the same shapes.
//
//   client → server  { id, method, data }               a request
//   server → client  { id, ok: true, data }             its answer
//                    { id, ok: false, error }           its refusal (stable `code`)
//                    { event, data }                    a server event
//
// The first request must be `join` (or `resume`), carrying the token: tokens never go in the URL,
// where they would leak into logs.
import { z } from 'zod';
import type { Question } from '../rooms/question-store.js';

export type { Question };

export const SIGNALING_PATH = '/v1/rtc';

/** The signaling URL of a node serving HTTP at `httpBase`. */
export function signalingUrlOf(httpBase: string): string {
  return `${httpBase.replace(/\/$/, '').replace(/^http/, 'ws')}${SIGNALING_PATH}`;
}
export const MAX_FRAME_BYTES = 64 * 1024;
/** A socket that has not joined within this time is closed. */
export const JOIN_TIMEOUT_MS = 5000;
/** A dropped participant can resume within this time without a new join. */
export const RESUME_WINDOW_MS = 10_000;
/** `join`/`resume` requests a connection may send before it has joined; the next one closes it. */
export const JOIN_ATTEMPTS_PER_SOCKET = 5;

/** Close codes of the server's own (4000-4999), for connections ended by a limit or by the token's expiry. */
export const CLOSE_CODES = {
  /** The session's token expired (after a `token-expired` event). */
  tokenExpired: 4010,
  /** The connection used up its join attempts (`too_many_join_attempts`). */
  tooManyJoinAttempts: 4030,
} as const;

const id = z.string().min(1).max(64);
/** RTP/DTLS/ICE objects are checked in depth by mediasoup itself; here only their outline. */
const opaque = z.record(z.string(), z.unknown());

export const MEDIA_SOURCES = ['camera', 'microphone', 'screen', 'screen-audio'] as const;
export type MediaSource = (typeof MEDIA_SOURCES)[number];

export const requestSchemas = {
  /** `stage_pass`: from a `stage-invite`, to take the stage at the room's origin node. */
  join: z.object({ token: z.string().min(1).max(8192), stage_pass: z.string().min(1).max(64).optional() }).strict(),
  resume: z.object({ token: z.string().min(1).max(8192), participant_id: id, resume_token: z.string().min(1).max(128) }).strict(),
  create_transport: z.object({ direction: z.enum(['send', 'recv']) }).strict(),
  connect_transport: z.object({ transport_id: id, dtls_parameters: opaque }).strict(),
  restart_ice: z.object({ transport_id: id }).strict(),
  produce: z
    .object({ transport_id: id, kind: z.enum(['audio', 'video']), rtp_parameters: opaque, source: z.enum(MEDIA_SOURCES) })
    .strict(),
  close_producer: z.object({ producer_id: id }).strict(),
  pause_producer: z.object({ producer_id: id }).strict(),
  resume_producer: z.object({ producer_id: id }).strict(),
  consume: z.object({ producer_id: id, rtp_capabilities: opaque }).strict(),
  resume_consumer: z.object({ consumer_id: id }).strict(),
  pause_consumer: z.object({ consumer_id: id }).strict(),
  set_preferred_layers: z
    .object({ consumer_id: id, spatial_layer: z.number().int().min(0).max(3), temporal_layer: z.number().int().min(0).max(3).optional() })
    .strict(),
  chat: z.object({ text: z.string().min(1).max(2000) }).strict(),
  reaction: z.object({ emoji: z.string().min(1).max(16) }).strict(),
  delete_chat: z.object({ message_id: z.string().regex(/^\d{1,16}-\d{1,10}$/, 'a chat message id') }).strict(),
  raise_hand: z.object({ raised: z.boolean() }).strict(),
  lower_hand: z.object({ participant_id: id }).strict(),
  ask_question: z.object({ text: z.string().min(1).max(1000) }).strict(),
  upvote_question: z.object({ question_id: id }).strict(),
  answer_question: z.object({ question_id: id, answer: z.string().max(2000).optional() }).strict(),
  dismiss_question: z.object({ question_id: id }).strict(),
  mute_participant: z.object({ participant_id: id, source: z.enum(MEDIA_SOURCES).optional() }).strict(),
  invite_to_stage: z.object({ participant_id: id }).strict(),
  remove_from_stage: z.object({ participant_id: id }).strict(),
  promote_room: z.object({}).strict(),
  playback_token: z.object({}).strict(),
  open_breakouts: z
    .object({
      count: z.number().int().min(1).max(20),
      /** participant id → breakout number (1-based); everyone else is spread evenly. */
      assignments: z.record(id, z.number().int().min(1).max(20)).optional(),
    })
    .strict(),
  close_breakouts: z.object({}).strict(),
  kick_participant: z.object({ participant_id: id }).strict(),
  end_room: z.object({}).strict(),
  leave: z.object({}).strict(),
  /** A new token of the same identity and room (before `token-expired`): the session goes on as long as it lasts. */
  refresh_token: z.object({ token: z.string().min(1).max(8192) }).strict(),
} as const;

export type Method = keyof typeof requestSchemas;
export type RequestData<M extends Method> = z.infer<(typeof requestSchemas)[M]>;

export const requestFrameSchema = z
  .object({ id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), method: z.string().max(64), data: z.unknown().optional() })
  .strict();

export interface ParticipantInfo {
  id: string;
  identity: string;
  name: string | null;
  metadata: string | null;
  hand_raised: boolean;
  /** May publish (a publish capability, or invited on stage). */
  on_stage: boolean;
}

export interface TrackInfo {
  producer_id: string;
  participant_id: string;
  kind: 'audio' | 'video';
  source: MediaSource;
  paused: boolean;
}

export interface ChatMessage {
  id: string;
  participant_id: string;
  identity: string;
  text: string;
  at: string;
}

export interface RaisedHand {
  participant_id: string;
  identity: string;
  raised_at: string;
}

export interface JoinResult {
  room: { id: string; type: string; config: Record<string, unknown>; promoted: boolean };
  participant: ParticipantInfo & { capabilities: string[] };
  router_rtp_capabilities: Record<string, unknown>;
  participants: ParticipantInfo[];
  tracks: TrackInfo[];
  chat_history: ChatMessage[];
  /** Raised hands in the order they went up (moderators only; empty for others). */
  hand_queue: RaisedHand[];
  /** The most recently asked open questions (at most 50), most voted first; `GET /v1/rooms/{id}/questions` lists them all. */
  questions: Question[];
  /** Broadcast rooms announce viewers as a count, not one by one. */
  viewer_count: number;
  /** Presented with `resume` after a dropped connection. */
  resume_token: string;
  /** Signaling URLs of the other nodes (nearest first): where to join again if this node is lost. */
  nodes: string[];
  /**
   * STUN/TURN servers for this participant's transports (`RTCIceServer`s): the node's fixed ones and
   * TURN servers with credentials made for this identity that expire after LEVELCHAT_TURN_TTL_S.
   * Empty when none are configured (the node is reachable directly).
   */
  ice_servers: IceServerInfo[];
}

/** An `RTCIceServer` as the SDK hands it to the browser. */
export interface IceServerInfo {
  urls: string;
  username?: string;
  credential?: string;
}

export interface TransportInfo {
  id: string;
  ice_parameters: Record<string, unknown>;
  ice_candidates: Record<string, unknown>[];
  dtls_parameters: Record<string, unknown>;
}

export interface ConsumeResult {
  consumer_id: string;
  producer_id: string;
  participant_id: string;
  kind: 'audio' | 'video';
  source: MediaSource;
  rtp_parameters: Record<string, unknown>;
}

/** Every server event and its data. */
export interface ServerEvents {
  'participant-joined': ParticipantInfo;
  'participant-left': { id: string; identity: string };
  'track-published': TrackInfo;
  'track-unpublished': { producer_id: string; participant_id: string };
  'track-muted': { producer_id: string; participant_id: string; by: string };
  'active-speaker': { participant_id: string | null };
  'connection-quality': { qualities: { participant_id: string; rtt: number | null; fraction_lost: number | null }[] };
  chat: ChatMessage;
  reaction: { participant_id: string; emoji: string };
  hand: { participant_id: string; raised: boolean };
  /** To moderators, on every change: the raised hands in order. */
  'hand-queue': { queue: RaisedHand[] };
  'chat-deleted': { message_id: string; by: string };
  'viewer-count': { count: number };
  stage: { participant_id: string; on_stage: boolean };
  /** A moderator invited you on stage from the room's origin node: join there with the same token and this pass to take it (within 60 s). */
  'stage-invite': { signaling_url: string; stage_pass: string };
  /** You were assigned to a breakout: join `room_id` with `token`, come back when it closes. */
  breakout: { room_id: string; number: number; token: string; signaling_url_path: string };
  /** The breakout layout, to everyone; `open: false` means everyone is back in the main room. */
  breakouts: { open: boolean; rooms: { room_id: string; number: number; identities: string[] }[] };
  /** A hybrid room became a broadcast: new joiners may be viewers, LL-HLS starts. */
  promoted: { hls_url: string | null };
  question: Question;
  'consumer-closed': { consumer_id: string };
  kicked: { reason: 'kicked' | 'revoked' };
  /** The node lost the room's media (a worker died): create transports again, publish and subscribe again. */
  'media-reset': { reason: 'worker_died'; router_rtp_capabilities: Record<string, unknown> };
  'room-ended': { reason: 'host_ended' };
  /** Your token expires soon (a minute ahead): `refresh_token` with a new one of the same identity and room, or the session ends then. */
  'session-ending': { expires_at: string; seconds_left: number };
  /** Your token expired: the session ends now (the connection closes with 4010). */
  'token-expired': { expired_at: string };
}

/** Stable codes of refused requests. */
export const SIGNALING_ERROR_CODES = [
  'invalid_frame',
  'invalid_request',
  'unknown_method',
  'not_joined',
  'already_joined',
  'join_timeout',
  'too_many_connections',
  'too_many_join_attempts',
  'token_malformed',
  'token_invalid',
  'token_expired',
  'token_not_yet_valid',
  'token_unknown_key',
  'token_revoked',
  'room_not_found',
  'room_ended',
  'room_archived',
  'room_full',
  'webrtc_full',
  'wrong_node',
  'not_hybrid',
  'already_promoted',
  'publishers_full',
  /** A participant's media limit: one send and one recv transport, one producer per source, one consumer per track. */
  'media_limit',
  /** The room holds as many questions as it may, or the asker asked its share. */
  'question_limit',
  'capability_required',
  'not_found',
  'resume_failed',
  /** `refresh_token` with a token of another identity or room. */
  'token_mismatch',
  'rate_limited',
  'media_error',
  'internal',
] as const;

export type SignalingErrorCode = (typeof SIGNALING_ERROR_CODES)[number];

/** The `error` of a refused request (and the data of an `error` event): a stable code, and any details. */
export interface SignalingErrorBody {
  code: SignalingErrorCode;
  message: string;
  /** E.g. `signaling_url` with `wrong_node`, `hls_url` with `webrtc_full`. */
  [detail: string]: unknown;
}
