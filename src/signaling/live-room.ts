import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import type { RoomEventEmitter } from '../events/room-event-emitter.js';
import type { Logger } from '../../common/logger.js';
import type { AttendanceLog } from '../rooms/attendance.js';
import { isBroadcastType } from '../rooms/broadcast-types.js';
import type { Room } from '../rooms/room.js';
import type { BroadcastDirector } from '../hls/broadcast-director.js';
import { hlsUrl } from '../hls/hls-status.js';
import type { MediaRoom } from '../sfu/media-room.js';
import { connectionQuality } from './connection-quality.js';
import { FeatureLimits, ROOM_FEATURE_RATES, type LimitedFeature } from './feature-limits.js';
import type { Participant } from './participant.js';
import type { MediaSource, ParticipantInfo, RaisedHand, ServerEvents, TrackInfo } from './protocol.js';
import { RELAYED_EVENTS, type RelayMessage, type RemoteTrack } from './relay-messages.js';
import type { PresenceUpdate, RoomRelay } from './room-relay.js';

const REPORT_INTERVAL_MS = 2000;
/** Events about who is here and what they publish: only for tokens that may subscribe ("not see anyone" otherwise). */
const PRESENCE_EVENTS = new Set<keyof ServerEvents>(['participant-joined', 'participant-left', 'track-published', 'track-unpublished', 'track-muted', 'active-speaker', 'connection-quality', 'stage', 'viewer-count']);

export interface PublishedTrack {
  producer: types.Producer;
  participant: Participant;
  source: MediaSource;
}

export type Breakout = ServerEvents['breakouts']['rooms'][number];

/** What a live room needs from the node. */
export interface LiveRoomDeps {
  /** The media cascade of a room: on opening, and again when a worker died. */
  openMedia(room: Room): Promise<MediaRoom>;
  /** Starts a room's LL-HLS director (broadcast rooms, promoted hybrids). */
  directorFor(room: LiveRoom): BroadcastDirector;
  events: RoomEventEmitter;
  attendance: AttendanceLog;
  relay: RoomRelay;
  logger: Logger;
}

export interface LiveRoomEvents {
  /** The room closed (its last participant here left): its owner forgets it. */
  close: [];
  /** A track was published or unpublished, here or on another node: who is on air may change (WHEP players follow it). */
  tracks: [];
}

/**
 * A room while it has participants on this node: who is here, what they publish, and the media
 * cascade that carries it. Created on the first join, closed on the last leave.
 */
export class LiveRoom {
  readonly observer = new EventEmitter<LiveRoomEvents>();
  #room: Room;
  #media: MediaRoom;
  readonly #participants = new Map<string, Participant>();
  readonly #tracks = new Map<string, PublishedTrack>();
  #breakouts: Breakout[] | null = null;
  /** Raised hands in the order they went up. */
  readonly #hands = new Map<string, RaisedHand>();
  /** Feature rates by identity: kept while they are not full again, also after the identity left. */
  readonly #limits = new Map<string, FeatureLimits>();
  /** The room's own rates of what is broadcast to all of it, whoever sends it. */
  readonly #roomLimits = new FeatureLimits(ROOM_FEATURE_RATES);
  readonly #reportTimer: NodeJS.Timeout;
  #speakerObserver: types.ActiveSpeakerObserver | undefined;
  #announcedViewers = 0;
  /** The audience on every node, as last counted. */
  #totalViewers = 0;
  /** Set while the room is delivered as LL-HLS: decides who is on air. */
  #director: BroadcastDirector | null = null;
  #closed = false;

  /** Opens the room's media and the room on it. */
  static async open(room: Room, deps: LiveRoomDeps): Promise<LiveRoom> {
    const live = new LiveRoom(room, await deps.openMedia(room), deps);
    await live.#startSpeakerObserver();
    return live;
  }

  private constructor(
    room: Room,
    media: MediaRoom,
    private readonly deps: LiveRoomDeps,
  ) {
    this.#room = room;
    this.#media = media;
    this.#reportTimer = setInterval(() => void this.#report(), REPORT_INTERVAL_MS);
    this.#reportTimer.unref();
  }

  get id(): string {
    return this.#room.id;
  }

  /** The stored room, as of the last join here or the last event about it. */
  get room(): Room {
    return this.#room;
  }

  get media(): MediaRoom {
    return this.#media;
  }

  get participants(): ReadonlyMap<string, Participant> {
    return this.#participants;
  }

  get tracks(): ReadonlyMap<string, PublishedTrack> {
    return this.#tracks;
  }

  /** The open breakouts, or null. */
  get breakouts(): readonly Breakout[] | null {
    return this.#breakouts;
  }

  /** Raised hands in the order they went up. */
  get handQueue(): RaisedHand[] {
    return [...this.#hands.values()];
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** The room as a join just read it. */
  refresh(room: Room): void {
    this.#room = room;
  }

  /** The room became a broadcast (LL-HLS unless end-to-end encrypted); its participants are told. */
  markPromoted(): void {
    const room = this.#room;
    this.#room = { ...room, promoted: true, config: { ...room.config, hls: !room.config.e2ee } };
    this.broadcast('promoted', { hls_url: this.#room.config.hls ? hlsUrl(this.id) : null });
  }

  /** Broadcast rooms (and promoted hybrids) have a stage and an audience. */
  get isBroadcast(): boolean {
    return isBroadcastType(this.room.type) || this.room.promoted === true;
  }

  /**
   * Who is announced one by one: everybody in a meeting; in a broadcast only the stage and the
   * moderators, while the audience is a count (thousands of join events would drown everyone).
   */
  isAnnounced(p: Participant): boolean {
    return !this.isBroadcast || p.onStage || p.has('moderate:participants');
  }

  /** The audience on this node. */
  get viewerCount(): number {
    let n = 0;
    for (const p of this.#participants.values()) if (!this.isAnnounced(p)) n += 1;
    return n;
  }

  /** The audience on every node holding the room, as last counted (this node's at least). */
  get audience(): number {
    return Math.max(this.#totalViewers, this.viewerCount);
  }

  /** A track published on another node, or null. */
  remoteTrack(producerId: string): Promise<RemoteTrack | null> {
    return this.deps.relay.remoteTrack(this.id, producerId);
  }

  /** Who is announced and what is published on other nodes. */
  remotePresence(): ReturnType<RoomRelay['presence']> {
    return this.deps.relay.presence(this.id);
  }

  async #startSpeakerObserver(): Promise<void> {
    this.#speakerObserver = await this.#media.origin.router.createActiveSpeakerObserver({ interval: 300 });
    this.#speakerObserver.on('dominantspeaker', ({ producer }) => {
      const track = this.#tracks.get(producer.id);
      this.broadcast('active-speaker', { participant_id: track?.participant.id ?? null });
    });
  }

  /** Sends a room event to the participants here and, through the relay, on every other node. */
  broadcast<E extends keyof ServerEvents>(event: E, data: ServerEvents[E], except?: Participant): void {
    this.#deliver(event, data, except);
    if (!RELAYED_EVENTS.has(event)) return;
    this.deps.relay
      .publish(this.id, event, data, this.#media.origin.router.id, this.#presenceUpdate(event, data))
      .catch((err: Error) => this.deps.logger.warn({ room_id: this.id, event, err: err.message }, 'could not relay a room event'));
  }

  /** A track of this node changed without an event (its publisher paused or resumed it): late joiners elsewhere see it as it is. */
  trackChanged(producerId: string): void {
    const track = this.#tracks.get(producerId);
    if (!track) return;
    this.deps.relay
      .updatePresence(this.id, { track: this.trackInfo(track) }, this.#media.origin.router.id)
      .catch((err: Error) => this.deps.logger.warn({ room_id: this.id, err: err.message }, 'could not update the room presence'));
  }

  /** The announced participant or published track of this node an event adds or changes, as it now is. */
  #presenceUpdate<E extends keyof ServerEvents>(event: E, data: ServerEvents[E]): PresenceUpdate | undefined {
    switch (event) {
      case 'participant-joined':
        return { participant: data as ParticipantInfo };
      case 'track-published':
        return { track: data as TrackInfo };
      case 'hand':
      case 'stage': {
        const p = this.#participants.get((data as ServerEvents['hand' | 'stage']).participant_id);
        return p && this.isAnnounced(p) ? { participant: p.info() } : undefined;
      }
      case 'track-muted': {
        const track = this.#tracks.get((data as ServerEvents['track-muted']).producer_id);
        return track ? { track: this.trackInfo(track) } : undefined;
      }
      default:
        return undefined;
    }
  }

  /** A room event from another node, for the participants here. */
  deliverRelayed(message: RelayMessage): void {
    this.#deliver(message.event, message.data);
    if (message.event === 'track-published' || message.event === 'track-unpublished') this.observer.emit('tracks');
  }

  /** Sends a room event to the participants on this node only. */
  #deliver<E extends keyof ServerEvents>(event: E, data: ServerEvents[E], except?: Participant): void {
    const presence = PRESENCE_EVENTS.has(event);
    for (const p of this.#participants.values()) {
      if (p !== except && (!presence || p.has('subscribe:all'))) p.send(event, data);
    }
  }

  trackInfo(track: PublishedTrack): TrackInfo {
    return {
      producer_id: track.producer.id,
      participant_id: track.participant.id,
      kind: track.producer.kind,
      source: track.source,
      paused: track.producer.paused,
    };
  }

  /** Takes one use of a room feature from the participant's identity and from the room's; throws `rate_limited` (taking neither) when either is spent. */
  limit(p: Participant, feature: LimitedFeature): void {
    FeatureLimits.takeFromAll([this.#limitsOf(p), this.#roomLimits], feature);
  }

  #limitsOf(p: Participant): FeatureLimits {
    let limits = this.#limits.get(p.identity);
    if (!limits) {
      limits = new FeatureLimits();
      this.#limits.set(p.identity, limits);
    }
    return limits;
  }

  /** `invitedOnStage`: the participant arrives with a stage invitation from another node. */
  async addParticipant(p: Participant, invitedOnStage = false): Promise<void> {
    if (invitedOnStage) p.setInvitedOnStage(true);
    this.#participants.set(p.id, p);
    await this.deps.attendance.joined(this.id, p.id, p.identity);
    if (this.isAnnounced(p)) this.broadcast('participant-joined', p.info(), p);
    await this.emit('participant.joined', { participant_id: p.id, identity: p.identity });
    if (invitedOnStage) this.broadcast('stage', { participant_id: p.id, on_stage: true });
  }

  async publish(p: Participant, producer: types.Producer, source: MediaSource): Promise<TrackInfo> {
    const track: PublishedTrack = { producer, participant: p, source };
    this.#tracks.set(producer.id, track);
    if (producer.kind === 'audio') await this.#speakerObserver?.addProducer({ producerId: producer.id }).catch(() => {});
    const info = this.trackInfo(track);
    this.#onAirMayChange();
    this.broadcast('track-published', info, p);
    await this.emit('track.published', { participant_id: p.id, identity: p.identity, producer_id: producer.id, kind: producer.kind, source });
    return info;
  }

  async unpublish(producerId: string): Promise<void> {
    const track = this.#tracks.get(producerId);
    if (!track) return;
    this.#tracks.delete(producerId);
    track.participant.media.dropProducer(producerId);
    track.producer.close();
    this.#onAirMayChange();
    this.broadcast('track-unpublished', { producer_id: producerId, participant_id: track.participant.id });
    await this.emit('track.unpublished', { participant_id: track.participant.id, identity: track.participant.identity, producer_id: producerId });
  }

  /** Removes a participant and everything it held. Returns true when the room is now empty. */
  async removeParticipant(p: Participant): Promise<boolean> {
    if (!this.#participants.delete(p.id)) return this.#participants.size === 0;
    p.close();
    for (const producerId of [...p.media.producers.keys()]) await this.unpublish(producerId);
    const { consumers, transports } = p.media.end();
    for (const { consumer, producerId, slot } of consumers) {
      consumer.close();
      this.#media.detachConsumer(slot, producerId);
    }
    for (const { transport, direction, slot } of transports) {
      transport.close();
      if (direction === 'recv') this.#media.releaseReceiver(slot);
    }
    if (this.#hands.delete(p.id)) this.#publishHandQueue();
    await this.deps.attendance.left(this.id, p.id).catch(() => {});
    if (this.isAnnounced(p)) this.broadcast('participant-left', { id: p.id, identity: p.identity });
    await this.emit('participant.left', { participant_id: p.id, identity: p.identity });
    return this.#participants.size === 0;
  }

  /**
   * Raises a hand; answers its place in the queue (1 first). The webhook event is coalesced per
   * identity: a hand raised again soon after one that was sent is not sent again.
   */
  async raiseHand(p: Participant): Promise<number> {
    if (p.setHandRaised(true)) {
      this.#hands.set(p.id, { participant_id: p.id, identity: p.identity, raised_at: new Date().toISOString() });
      this.#handChanged(p);
      if (this.#limitsOf(p).tryTake('handRaisedEvent')) await this.emit('participant.hand_raised', { participant_id: p.id, identity: p.identity });
    }
    return [...this.#hands.keys()].indexOf(p.id) + 1;
  }

  /** Lowers a hand (its owner, or a moderator dismissing it). */
  lowerHand(p: Participant): void {
    if (!p.setHandRaised(false)) return;
    this.#hands.delete(p.id);
    this.#handChanged(p);
  }

  /** Brings a participant on stage for the session: publish rights, announced to all. */
  inviteOnStage(p: Participant): void {
    if (p.onStage) return;
    p.setInvitedOnStage(true);
    this.broadcast('participant-joined', p.info(), p);
    this.broadcast('stage', { participant_id: p.id, on_stage: true });
  }

  /** Back to the audience: the session's publish rights and its tracks go. */
  async removeFromStage(p: Participant): Promise<void> {
    p.setInvitedOnStage(false);
    for (const producerId of [...p.media.producers.keys()]) await this.unpublish(producerId);
    this.broadcast('stage', { participant_id: p.id, on_stage: false });
    if (!this.isAnnounced(p)) this.broadcast('participant-left', { id: p.id, identity: p.identity }, p);
  }

  openBreakouts(breakouts: Breakout[]): void {
    this.#breakouts = breakouts;
  }

  closeBreakouts(): void {
    this.#breakouts = null;
  }

  /** Makes the room's LL-HLS here (its origin node), unless it does already. */
  startDirector(): void {
    if (this.#director || this.#closed) return;
    this.#director = this.deps.directorFor(this);
    this.#onAirMayChange();
  }

  /**
   * The media cascade was lost (a worker died): every transport, producer and consumer goes, the
   * room moves onto a new cascade, and participants are told to set their media up again. Who is
   * in the room, chat, hands and everything else stay; so does LL-HLS, on the new cascade.
   */
  async rebuildMedia(): Promise<void> {
    const hadDirector = this.#director !== null;
    await this.#director?.close();
    this.#director = null;
    const media = await this.deps.openMedia(this.#room);
    for (const producerId of [...this.#tracks.keys()]) await this.unpublish(producerId);
    // The old cascade's consumers go with their transports; its receiver slots with the old media.
    for (const p of this.#participants.values()) for (const { transport } of p.media.reset().transports) transport.close();
    this.#media.close();
    this.#media = media;
    await this.#startSpeakerObserver();
    for (const p of this.#participants.values()) p.send('media-reset', { reason: 'worker_died', router_rtp_capabilities: media.rtpCapabilities as unknown as Record<string, unknown> });
    if (hadDirector) this.startDirector();
  }

  /** Tells the LL-HLS director (if any) that the published tracks changed. */
  #onAirMayChange(): void {
    this.observer.emit('tracks');
    this.#director?.tracksChanged(() =>
      [...this.#tracks.values()].map((t) => ({ producer: t.producer, participantId: t.participant.id, identity: t.participant.identity, source: t.source })),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.observer.emit('close');
    clearInterval(this.#reportTimer);
    await this.#director?.close();
    this.#media.close();
    await this.deps.relay.roomClosed(this.id).catch((err: Error) => this.deps.logger.warn({ room_id: this.id, err: err.message }, 'could not leave the room relay'));
  }

  #handChanged(p: Participant): void {
    this.broadcast('hand', { participant_id: p.id, raised: p.handRaised });
    this.#publishHandQueue();
  }

  /** Shows the hand queue to the moderators, after any change. */
  #publishHandQueue(): void {
    const queue = this.handQueue;
    for (const p of this.#participants.values()) if (p.has('moderate:participants')) p.send('hand-queue', { queue });
  }

  /** Records an event in the room's stream (and so to webhooks); never fails the caller. */
  async emit(type: Parameters<RoomEventEmitter['emit']>[1], data: Record<string, unknown>): Promise<void> {
    try {
      await this.deps.events.emit(this.#room, type, data);
    } catch (err) {
      this.deps.logger.warn({ room_id: this.id, type, err: (err as Error).message }, 'could not record room event');
    }
  }

  /** Every 2 s: the audience on every node, and each participant's connection quality. */
  async #report(): Promise<void> {
    for (const [identity, limits] of this.#limits) if (limits.isIdle()) this.#limits.delete(identity);
    if (this.#participants.size === 0) return;
    const local = this.viewerCount;
    this.#totalViewers = this.isBroadcast ? await this.deps.relay.reportViewers(this.id, local).catch(() => local) : local;
    const viewers = this.audience;
    if (viewers !== this.#announcedViewers) {
      this.#announcedViewers = viewers;
      this.broadcast('viewer-count', { count: viewers });
    }
    const qualities = await Promise.all([...this.#participants.values()].map(connectionQuality));
    if (!this.#closed) this.broadcast('connection-quality', { qualities });
  }
}
