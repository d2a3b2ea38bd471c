import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from '../../common/logger.js';
import { EncoderMediaProbe, isConfig, isKeyframe, MediaRefusal, planRelay, type EncoderMedia, type MediaTag, type RelayPlan } from '../../pipeline/encoder/encoder-media.js';
import { EncoderRelay, type RelayExit } from '../../pipeline/encoder/encoder-relay.js';
import type { EncoderSource } from '../../pipeline/encoder/encoder-source.js';
import type { SourceHolds } from '../../pipeline/jobs/source-hold.js';
import type { TokenMinter } from '../auth/token-minter.js';
import type { RoomEventType } from '../events/room-event.js';
import type { LiveRoom } from '../signaling/live-room.js';
import type { LiveRooms } from '../signaling/live-rooms.js';
import type { Participant } from '../signaling/participant.js';
import { EncoderLink } from './encoder-link.js';
import { openEncoderTrack, type EncoderTrack, type TrackKind } from './encoder-tracks.js';
import type { IngestMedia, IngestStateStore } from './ingest-state.js';
import type { StoredIngest } from './ingest-store.js';

export interface EncoderSessionDeps {
  liveRooms: Pick<LiveRooms, 'join' | 'leave' | 'verify'>;
  minter: Pick<TokenMinter, 'mint'>;
  states: IngestStateStore;
  holds: Pick<SourceHolds, 'hold' | 'release'>;
  nodeId: string;
  /** Seconds between keyframes when the relay encodes video (LL-HLS's segment target). */
  keyframeInterval: number;
  logger: Logger;
}

/** An encoder must have shown its codecs (a few frames) this soon after publishing. */
const PROBE_TIMEOUT_MS = 5000;
/** An encoder that sends nothing for this long is cut off (stalled, or sending what is not media). */
export const STALL_MS = 5000;
/** The encoder claim lapses this long after its node stops renewing it (the node died). */
const CLAIM_TTL_MS = 6000;
const CLAIM_RENEW_MS = 2000;
/** A hold outlives the reconnect window by this much, in case the node holding it dies. */
const HOLD_SLACK_MS = 5000;
const TOKEN_TTL_S = 24 * 3600;

/** Why an encoder could not go on, as its ingest's `last_error` shows it. */
class Refusal extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One ingest on this node while an encoder uses it: its participant in the room (joined like any
 * publisher, with a token of the ingest's identity), a producer per stream on PlainTransports of
 * the room's origin, and the relay (ffmpeg: FLV in, RTP out) of the connected encoder.
 *
 * When the encoder drops, the participant and its producers stay for the ingest's reconnect window:
 * the producers are paused and their LL-HLS source held (its ffmpeg ends and waits), and an encoder
 * that comes back with the key gets a new relay into the same producers (LL-HLS continues with a
 * discontinuity; WebRTC viewers resume at its first keyframe). When the window passes, the key is
 * revoked or the room removes the participant, everything goes.
 */
export class EncoderSession {
  readonly observer = new EventEmitter<{ ended: [] }>();
  /** This session's name on the ingest's encoder claim. */
  readonly #holder = randomBytes(9).toString('base64url');
  #source: EncoderSource | null = null;
  #probe: EncoderMediaProbe | null = null;
  #probed: (() => void) | null = null;
  /** Tags not yet handed to a relay (copies): the probe's, and what came while the room was joined. */
  #backlog: MediaTag[] = [];
  /** After a media reset: the new relay starts at the next keyframe (the backlog holds what comes until then). */
  #relayAtKeyframe = false;
  #relay: EncoderRelay | null = null;
  #plan: RelayPlan | null = null;
  #media: IngestMedia | null = null;
  /** The latest codec configuration of each stream: a relay started mid-stream needs it first. */
  readonly #config = new Map<number, MediaTag>();
  #joined: { room: LiveRoom; participant: Participant } | null = null;
  readonly #tracks = new Map<TrackKind, EncoderTrack>();
  #window: NodeJS.Timeout | null = null;
  #stall: NodeJS.Timeout | null = null;
  readonly #claimTimer: NodeJS.Timeout;
  #ended = false;
  /** attach, drop, end and media resets one at a time. */
  #chain: Promise<void> = Promise.resolve();

  constructor(
    readonly ingest: StoredIngest,
    private readonly deps: EncoderSessionDeps,
  ) {
    this.#claimTimer = setInterval(() => void this.#renewClaim(), CLAIM_RENEW_MS);
    this.#claimTimer.unref();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** An encoder connected with this ingest's key. */
  attach(source: EncoderSource): Promise<void> {
    return this.#run(async () => {
      if (this.#ended) return source.close('the ingest is closed');
      if (this.#source) return this.#refuse(source, new Refusal('encoder_already_live', 'another encoder is live on this stream key'));
      const claim = await this.deps.states.claim(this.ingest.id, this.#holder, CLAIM_TTL_MS);
      if (claim === 'taken') return this.#refuse(source, new Refusal('encoder_already_live', 'another encoder is live on this stream key (on another node)'));
      if (claim === 'gone') {
        source.close('the stream key was revoked');
        return this.#end('revoked');
      }
      this.#source = source;
      try {
        await this.#connect(source);
      } catch (err) {
        const refusal = err instanceof Refusal ? err : new Refusal((err as { code?: string }).code ?? 'ingest_failed', (err as Error).message);
        this.#disconnectRelay();
        this.#source = null;
        await this.#refuse(source, refusal);
      }
    });
  }

  /** Cuts the encoder off and takes the participant out of the room (the key was revoked, the node stops). */
  close(reason: string): Promise<void> {
    return this.#run(() => this.#end(reason));
  }

  async #connect(source: EncoderSource): Promise<void> {
    const media = await this.#probeMedia(source);
    if (source.ended) throw new Refusal('encoder_gone', 'the encoder left before its media was known');
    let plan: RelayPlan;
    try {
      plan = planRelay(media);
    } catch (err) {
      if (err instanceof MediaRefusal) throw new Refusal('unsupported_media', err.message);
      throw err;
    }
    const reconnect = this.#joined !== null;
    const joined = this.#joined ?? (await this.#join());
    await this.#openTracks(joined, plan);
    this.#clearWindow();
    await this.#resumeTracks();
    this.#plan = plan;
    this.#media = {
      video: media.video && { codec: media.video.codec, passthrough: plan.video === 'copy' },
      audio: media.audio && { codec: media.audio.codec },
      note: plan.reason,
    };
    this.#startRelay();
    source.onEnd((reason) => void this.#run(() => this.#drop(source, reason)));
    await this.deps.states.set(this.ingest.id, { state: 'live', node_id: this.deps.nodeId, media: this.#media, last_error: null });
    await this.#emit('ingest.connected', { protocol: source.protocol, reconnect, video: this.#media.video, audio: this.#media.audio });
    this.deps.logger.info({ ingest_id: this.ingest.id, room_id: this.ingest.room_id, remote: source.remote, reconnect, ...this.#media }, 'encoder connected');
  }

  /** Reads the encoder's first tags until its codecs are known; every tag is kept for the relay. */
  #probeMedia(source: EncoderSource): Promise<EncoderMedia> {
    const probe = new EncoderMediaProbe();
    this.#probe = probe;
    this.#backlog = [];
    return new Promise<EncoderMedia>((resolve, reject) => {
      const timer = setTimeout(() => settle(), PROBE_TIMEOUT_MS);
      const settle = () => {
        clearTimeout(timer);
        this.#probe = null;
        this.#probed = null;
        resolve(probe.media);
      };
      this.#probed = settle;
      source.onEnd((reason) => {
        clearTimeout(timer);
        reject(new Refusal('encoder_gone', `the encoder left before its media was known: ${reason}`));
      });
      source.onTag((tag) => this.#onTag(tag));
    });
  }

  #onTag(tag: MediaTag): void {
    this.#watchStall();
    if (isConfig(tag)) this.#config.set(tag.codec_type, copy(tag));
    if (this.#relay) {
      this.#relay.write(tag);
      return;
    }
    this.#backlog.push(copy(tag));
    this.#probe?.push(tag);
    if (this.#probe?.complete) this.#probed?.();
    else if (this.#relayAtKeyframe && isKeyframe(tag)) {
      this.#relayAtKeyframe = false;
      this.#startRelay();
    }
  }

  /** An encoder that stops sending (or sends what is not media) is cut off after STALL_MS. */
  #watchStall(): void {
    if (this.#stall) this.#stall.refresh();
    else {
      this.#stall = setTimeout(() => this.#source?.close(`no media for ${STALL_MS / 1000} s`), STALL_MS);
      this.#stall.unref();
    }
  }

  /** The encoder's own room token: the ingest, not the encoder, holds it. */
  async #mintToken(): Promise<string> {
    const { ingest } = this;
    const { token } = await this.deps.minter.mint(ingest.owner, {
      roomId: ingest.room_id,
      identity: ingest.identity,
      name: ingest.name,
      capabilities: ['publish:camera'],
      ttlS: TOKEN_TTL_S,
    });
    return token;
  }

  /** A broadcast outlives any one token: before it expires, the participant gets a fresh one. */
  async #renewToken(): Promise<void> {
    const participant = this.#joined?.participant;
    if (!participant) return;
    participant.setGrant(await this.deps.liveRooms.verify(await this.#mintToken()));
  }

  async #join(): Promise<{ room: LiveRoom; participant: Participant }> {
    const token = await this.#mintToken();
    const link = new EncoderLink({
      closed: (reason) => void this.#run(() => this.#end(reason, true)),
      mediaReset: () => void this.#run(() => this.#rebuildMedia()),
      tokenEnding: () => void this.#run(() => this.#renewToken()),
    });
    const { room, participant } = await this.deps.liveRooms.join(link, token);
    this.#joined = { room, participant };
    return this.#joined;
  }

  /** A producer per stream the encoder sends (kept across reconnects); one it no longer sends goes. */
  async #openTracks(joined: { room: LiveRoom; participant: Participant }, plan: RelayPlan): Promise<void> {
    const wanted: Record<TrackKind, boolean> = { video: plan.video !== null, audio: plan.audio };
    for (const kind of ['video', 'audio'] as const) {
      const track = this.#tracks.get(kind);
      if (track && !wanted[kind]) {
        this.#tracks.delete(kind);
        await joined.room.unpublish(track.producer.id);
        track.transport.close();
      } else if (!track && wanted[kind]) {
        this.#tracks.set(kind, await openEncoderTrack(joined.room, joined.participant, kind));
      }
    }
  }

  /** After a reconnect: LL-HLS's ffmpeg listens again (see SourceHolds), then the producers flow. */
  async #resumeTracks(): Promise<void> {
    const video = this.#tracks.get('video');
    if (video) await this.deps.holds.release(video.producer.id);
    for (const { producer } of this.#tracks.values()) {
      if (!producer.paused) continue;
      // Consumers pick the stream up again at its next keyframe, sequence numbers continuous.
      await producer.resume();
      this.#joined?.room.trackChanged(producer.id);
    }
  }

  #startRelay(): void {
    const plan = this.#plan!;
    const targets = { video: this.#tracks.get('video')?.target, audio: this.#tracks.get('audio')?.target };
    const relay = new EncoderRelay(plan, targets, this.deps.keyframeInterval, this.deps.logger);
    relay.once('exit', (exit) => this.#relayExited(relay, exit));
    // The codec configuration first, then the media from its first keyframe on (an SRT feed is
    // joined mid-stream; what comes before a keyframe cannot be decoded, nor the stream's size known).
    const start = plan.video ? this.#backlog.findIndex(isKeyframe) : 0;
    const media = start < 0 ? [] : this.#backlog.slice(start).filter((tag) => !isConfig(tag));
    this.#backlog = [];
    for (const tag of [...this.#config.values(), ...media]) relay.write(tag);
    this.#relay = relay;
  }

  #relayExited(relay: EncoderRelay, exit: RelayExit): void {
    if (this.#relay !== relay) return;
    this.#relay = null;
    if (exit.requested) return;
    const why = exit.tail.split('\n').filter(Boolean).pop() ?? 'ffmpeg exited';
    this.deps.logger.warn({ ingest_id: this.ingest.id, tail: exit.tail }, 'encoder relay failed');
    this.#source?.close(`the media could not be relayed: ${why}`);
  }

  #disconnectRelay(): void {
    const relay = this.#relay;
    this.#relay = null;
    void relay?.stop();
  }

  /** The encoder went: wait for it for the reconnect window, the producers paused. */
  async #drop(source: EncoderSource, reason: string): Promise<void> {
    if (this.#source !== source || this.#ended) return;
    this.#source = null;
    this.#disconnectRelay();
    if (this.#stall) clearTimeout(this.#stall);
    this.#stall = null;
    const windowMs = this.ingest.reconnect_window_s * 1000;
    const video = this.#tracks.get('video');
    if (video) await this.deps.holds.hold(video.producer.id, windowMs + HOLD_SLACK_MS);
    for (const { producer } of this.#tracks.values()) {
      await producer.pause();
      this.#joined?.room.trackChanged(producer.id);
    }
    const error = reason === 'encoder disconnected' ? null : { code: 'encoder_dropped', message: reason, at: new Date().toISOString() };
    await this.deps.states.set(this.ingest.id, { state: 'reconnecting', node_id: this.deps.nodeId, media: this.#media, last_error: error });
    await this.#emit('ingest.disconnected', { reason, reconnect_window_s: this.ingest.reconnect_window_s });
    this.deps.logger.info({ ingest_id: this.ingest.id, room_id: this.ingest.room_id, reason }, 'encoder disconnected: waiting for it to reconnect');
    this.#window = setTimeout(() => void this.#run(() => this.#end('the encoder did not reconnect in time')), windowMs);
    this.#window.unref();
  }

  /** The room's media was rebuilt on a new cascade: the producers are made again, the relay restarted. */
  async #rebuildMedia(): Promise<void> {
    if (this.#ended || !this.#joined) return;
    this.#disconnectRelay();
    const video = this.#tracks.get('video');
    if (video) await this.deps.holds.release(video.producer.id, 0);
    for (const { transport } of this.#tracks.values()) transport.close();
    this.#tracks.clear();
    if (!this.#source || !this.#plan) return;
    await this.#openTracks(this.#joined, this.#plan);
    this.#backlog = [];
    if (this.#plan.video) this.#relayAtKeyframe = true;
    else this.#startRelay();
  }

  /** `removed`: the room removed the participant already; `refusal`: why, when the ingest's last encoder was refused. */
  async #end(reason: string, removed = false, refusal?: Refusal): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    clearInterval(this.#claimTimer);
    this.#clearWindow();
    if (this.#stall) clearTimeout(this.#stall);
    this.#disconnectRelay();
    this.#source?.close(reason);
    this.#source = null;
    const video = this.#tracks.get('video');
    if (video) await this.deps.holds.release(video.producer.id, 0).catch(() => {});
    const joined = this.#joined;
    this.#joined = null;
    if (joined && !removed) await this.deps.liveRooms.leave(joined.room, joined.participant).catch((err: Error) => this.deps.logger.warn({ ingest_id: this.ingest.id, err: err.message }, 'encoder participant could not leave'));
    for (const { transport } of this.#tracks.values()) transport.close();
    this.#tracks.clear();
    const lastError = refusal ? { code: refusal.code, message: refusal.message, at: new Date().toISOString() } : null;
    await this.deps.states.set(this.ingest.id, { state: 'idle', node_id: null, media: null, last_error: lastError }).catch(() => {});
    await this.deps.states.release(this.ingest.id, this.#holder).catch(() => {});
    this.deps.logger.info({ ingest_id: this.ingest.id, room_id: this.ingest.room_id, reason }, 'encoder session ended');
    this.observer.emit('ended');
  }

  /**
   * Refuses an encoder. A session that never carried one is done with; one that did keeps its live
   * encoder, or waits out its reconnect window for a better one.
   */
  async #refuse(source: EncoderSource, refusal: Refusal): Promise<void> {
    source.close(refusal.message);
    this.deps.logger.info({ ingest_id: this.ingest.id, code: refusal.code, why: refusal.message }, 'encoder refused');
    if (!this.#source && this.#media === null) return this.#end(refusal.message, false, refusal);
    await this.deps.states.refused(this.ingest.id, refusal.code, refusal.message).catch(() => {});
  }

  /** While it has an encoder or waits for one: a claim lapses when its node stops renewing it. */
  async #renewClaim(): Promise<void> {
    if (this.#ended || (!this.#source && !this.#joined)) return;
    const claim = await this.deps.states.claim(this.ingest.id, this.#holder, CLAIM_TTL_MS).catch(() => 'ok' as const);
    if (claim === 'gone') void this.close('the stream key was revoked');
  }

  #clearWindow(): void {
    if (this.#window) clearTimeout(this.#window);
    this.#window = null;
  }

  async #emit(type: RoomEventType, data: Record<string, unknown>): Promise<void> {
    const joined = this.#joined;
    if (!joined) return;
    await joined.room.emit(type, { ingest_id: this.ingest.id, identity: this.ingest.identity, participant_id: joined.participant.id, ...data });
  }

  #run(step: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(step).catch((err: Error) => this.deps.logger.error({ ingest_id: this.ingest.id, err: err.message }, 'encoder session step failed'));
    this.#chain = next;
    return next;
  }
}

/** The parser reuses its buffer: a tag that is kept is copied. */
function copy(tag: MediaTag): MediaTag {
  return { ...tag, data: Buffer.from(tag.data.subarray(0, tag.size)) };
}
