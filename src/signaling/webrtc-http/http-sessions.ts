import type { Logger } from '../../../common/logger.js';
import { PUBLISH_CAPABILITIES } from '../../auth/capability-rules.js';
import type { RoomGrant } from '../../auth/room-token.js';
import type { RoomService } from '../../rooms/room-service.js';
import { oneSessionPerIdentity } from '../../rooms/room-types.js';
import type { WorkerPool } from '../../sfu/worker-pool.js';
import type { LiveRoom } from '../live-room.js';
import type { LiveRooms } from '../live-rooms.js';
import type { Participant } from '../participant.js';
import { SignalingError } from '../signaling-errors.js';
import { HttpSession, type SessionKind } from './http-session.js';
import { ProgramFeed, sameMime } from './program-feed.js';
import { parseOffer } from './sdp-offer.js';
import { SessionRefusal } from './session-refusal.js';
import { iceRestartFragment, readFragment } from './sdp-fragment.js';
import { WhepPlayback } from './whep-playback.js';
import { ingestOffer } from './whip-ingest.js';

export interface HttpSessionsDeps {
  /** The node's live rooms: read at each use (the runtime makes them after the HTTP server starts). */
  live: () => Pick<LiveRooms, 'verify' | 'join' | 'leave' | 'services' | 'rooms'>;
  rooms: Pick<RoomService, 'getOrCreate' | 'assertJoinable'>;
  pool: WorkerPool;
  logger: Logger;
}

/** A session as the HTTP resource answers it. */
export interface SessionAnswer {
  id: string;
  etag: string;
  answer: string;
}

/** PATCH: trickled candidates (nothing to answer: we are ICE-lite), or an ICE restart's answer. */
export type PatchResult = { kind: 'trickle' } | { kind: 'restart'; etag: string; fragment: string };

interface Entry {
  session: HttpSession;
  participant: Participant;
  room: LiveRoom;
  /** The m-line an ICE restart answer names (the first one accepted). */
  firstMedia: { type: string; mid: string };
  /** The client's ICE username fragment: a PATCH with another one is an ICE restart. */
  clientUfrag: string;
  playback?: WhepPlayback;
}

/**
 * The WHIP publishers and WHEP players of this node, by session id: how they come in (the same
 * admission and live rooms as a WebSocket join), and what DELETE and PATCH on their resources do.
 * A session is forgotten when its participant is removed, by whatever means.
 */
export class HttpSessions {
  readonly #entries = new Map<string, Entry>();
  readonly #feeds = new Map<LiveRoom, ProgramFeed>();
  /** Identities opening a WHIP session where one per identity is allowed: `${room}\n${identity}`. */
  readonly #opening = new Set<string>();

  constructor(private readonly deps: HttpSessionsDeps) {}

  /** A WHIP publisher: its participant joins the room and publishes the offer's tracks. */
  publish(roomId: string, token: string, sdp: string): Promise<SessionAnswer> {
    return this.#open('whip', roomId, token, sdp);
  }

  /** A WHEP player: an audience participant receiving the room's on-air program. */
  play(roomId: string, token: string, sdp: string): Promise<SessionAnswer> {
    return this.#open('whep', roomId, token, sdp);
  }

  /** DELETE: the participant leaves; the session's token (same room and identity) is required. */
  async end(kind: SessionKind, id: string, token: string): Promise<void> {
    const entry = await this.#owned(kind, id, token);
    await this.deps.live().leave(entry.room, entry.participant);
  }

  /** PATCH with a trickle-ice-sdpfrag (RFC 9725 §4.3): `ifMatch` is the request's If-Match. */
  async patch(kind: SessionKind, id: string, token: string, ifMatch: string | undefined, body: string): Promise<PatchResult> {
    const entry = await this.#owned(kind, id, token);
    const fragment = readFragment(body);
    const restart = fragment.ufrag !== undefined && fragment.ufrag !== entry.clientUfrag;
    if (restart ? ifMatch !== '*' && ifMatch !== entry.session.etag : ifMatch !== entry.session.etag) {
      throw new SessionRefusal('etag_mismatch', restart ? 'an ICE restart needs If-Match: * (or the current entity tag)' : 'If-Match must be the entity tag of the session');
    }
    if (!restart) return { kind: 'trickle' };
    const ice = await entry.session.restartIce();
    entry.clientUfrag = fragment.ufrag!;
    return { kind: 'restart', etag: entry.session.etag, fragment: iceRestartFragment(ice, entry.session.transport!.iceCandidates, entry.firstMedia) };
  }

  /** Whether a session of that kind and id is on this node. */
  has(kind: SessionKind, id: string): boolean {
    return this.#entries.get(id)?.session.kind === kind;
  }

  async #open(kind: SessionKind, roomId: string, token: string, sdp: string): Promise<SessionAnswer> {
    // Refusals first, in this order, with nothing made: the offer, the token, the room.
    const offer = parseOffer(sdp);
    const grant = await this.deps.live().verify(token);
    if (grant.roomId !== roomId) throw new SessionRefusal('token_room_mismatch', `this token is for room ${grant.roomId}, not ${roomId}`);
    requireCapability(kind, grant);
    const stored = await this.deps.rooms.getOrCreate(grant.keyId, roomId, 'meeting');
    this.deps.rooms.assertJoinable(stored);
    const seat = kind === 'whip' && oneSessionPerIdentity(stored.type) ? `${roomId}\n${grant.identity}` : null;
    if (seat) this.#takeSeat(seat, roomId, grant.identity);
    try {
      const session = new HttpSession(kind, roomId, grant.identity, (reason) => void this.#leave(session.id, reason));
      const { participant, room } = await this.deps.live().join(session, token);
      const firstMedia = offer.media.find((m) => m.kind !== 'other') ?? offer.media[0]!;
      const entry: Entry = { session, participant, room, firstMedia: { type: firstMedia.type, mid: firstMedia.mid }, clientUfrag: offer.ice.usernameFragment };
      this.#entries.set(session.id, entry);
      session.observer.once('closed', (reason) => this.#forget(entry, reason));
      try {
        const answer = kind === 'whip' ? await this.#ingest(entry, offer) : await this.#playback(entry, offer);
        this.deps.logger.info({ room_id: roomId, participant_id: participant.id, session: kind }, 'WebRTC HTTP session started');
        return { id: session.id, etag: session.etag, answer };
      } catch (err) {
        // Whatever was made goes with the participant.
        await this.deps.live().leave(room, participant);
        throw err;
      }
    } finally {
      if (seat) this.#opening.delete(seat);
    }
  }

  async #ingest(entry: Entry, offer: ReturnType<typeof parseOffer>): Promise<string> {
    const { answer, transport } = await ingestOffer({ participant: entry.participant, room: entry.room, services: this.deps.live().services }, offer);
    entry.session.watch(transport);
    return answer;
  }

  async #playback(entry: Entry, offer: ReturnType<typeof parseOffer>): Promise<string> {
    const feed = this.#feedOf(entry.room);
    const { playback, answer } = await WhepPlayback.start({ room: entry.room, participant: entry.participant, rtc: this.deps.live().services.rtc, feed }, offer);
    if (entry.session.closed) {
      playback.close();
      throw new SignalingError('media_error', 'the session ended while it was set up');
    }
    entry.playback = playback;
    entry.session.watch(playback.transport);
    return answer;
  }

  /** The room's program on this node, made for its first player. */
  #feedOf(room: LiveRoom): ProgramFeed {
    let feed = this.#feeds.get(room);
    if (!feed) {
      const made = new ProgramFeed(room, this.deps.pool, this.deps.logger);
      // Players of another video codec cannot follow the program without renegotiating: they end, and reconnect.
      made.observer.on('codec', (mimeType) => {
        for (const e of this.#entries.values()) {
          if (e.playback && e.room === room && e.playback.videoMimeType && !sameMime(e.playback.videoMimeType, mimeType)) void this.#leave(e.session.id, 'codec_changed');
        }
      });
      room.observer.once('close', () => this.#closeFeed(room));
      this.#feeds.set(room, made);
      feed = made;
    }
    return feed;
  }

  #closeFeed(room: LiveRoom): void {
    this.#feeds.get(room)?.close();
    this.#feeds.delete(room);
  }

  #takeSeat(seat: string, roomId: string, identity: string): void {
    const live = this.deps.live().rooms.get(roomId);
    const held = this.#opening.has(seat) || [...(live?.participants.values() ?? [])].some((p) => p.identity === identity);
    if (held) throw new SessionRefusal('identity_in_use', `${identity} is in this room already, and the room type allows one session per identity: end the other session first`);
    this.#opening.add(seat);
  }

  /** The session's participant was removed: its media goes, and the room's program when no player is left. */
  #forget(entry: Entry, reason: string): void {
    this.#entries.delete(entry.session.id);
    entry.playback?.close();
    const feed = this.#feeds.get(entry.room);
    if (feed?.idle) this.#closeFeed(entry.room);
    this.deps.logger.info({ room_id: entry.room.id, participant_id: entry.participant.id, session: entry.session.kind, reason }, 'WebRTC HTTP session ended');
  }

  /** The client is gone (its transport says so): its participant leaves the room. */
  async #leave(id: string, reason: string): Promise<void> {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.deps.logger.info({ room_id: entry.room.id, participant_id: entry.participant.id, reason }, 'WebRTC HTTP session lost its client');
    await this.deps.live().leave(entry.room, entry.participant).catch((err: Error) => this.deps.logger.warn({ err: err.message }, 'could not remove a WebRTC HTTP session'));
  }

  /** The session, if `token` may act on it: same room and identity (a stranger learns nothing). */
  async #owned(kind: SessionKind, id: string, token: string): Promise<Entry> {
    const grant = await this.deps.live().verify(token);
    const entry = this.#entries.get(id);
    if (!entry || entry.session.kind !== kind || entry.session.closed) throw new SessionRefusal('session_not_found', `no ${kind.toUpperCase()} session ${id} on this node`);
    if (grant.roomId !== entry.room.id) throw new SessionRefusal('token_room_mismatch', `this token is for room ${grant.roomId}, not the session's`);
    if (grant.identity !== entry.participant.identity) throw new SessionRefusal('session_not_found', `no ${kind.toUpperCase()} session ${id} of ${grant.identity}`);
    return entry;
  }
}

function requireCapability(kind: SessionKind, grant: RoomGrant): void {
  if (kind === 'whep' && !grant.capabilities.includes('subscribe:all')) throw new SignalingError('capability_required', 'WHEP playback needs the subscribe:all capability');
  if (kind === 'whip' && !PUBLISH_CAPABILITIES.some((c) => grant.capabilities.includes(c))) {
    throw new SignalingError('capability_required', 'WHIP publishing needs publish:camera (or publish:audio for audio only)');
  }
}
