import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import type { Logger } from '../../../common/logger.js';
import { pickOnAir, type OnAirTrack } from '../../hls/on-air.js';
import type { ReceiverSlot } from '../../sfu/media-room.js';
import type { WorkerPool } from '../../sfu/worker-pool.js';
import type { LiveRoom } from '../live-room.js';
import { laneKey, ProgramLane, type Kind, type LaneSpec } from './program-lane.js';
import { RtpRewriter } from './rtp-rewriter.js';

/** A track of the room on this node or another, as the on-air rule and the feed see it. */
interface ProgramTrack extends OnAirTrack {
  producerId: string;
  /** The router holding it on another node; undefined for a track published here. */
  remoteRouterId: string | undefined;
}

interface Source {
  producerId: string;
  consumer: types.Consumer;
  mimeType: string;
}

export interface ProgramFeedEvents {
  /** The on-air video moved to another codec: players of the old one cannot follow without renegotiating. */
  codec: [mimeType: string];
}

const KINDS: readonly Kind[] = ['video', 'audio'];
/** How many players one lane router serves (two consumers each) before another lane opens. */
const PLAYERS_PER_LANE = 200;

/**
 * A room's on-air program on this node, for its WHEP players: the tracks the on-air rule picks
 * (src/hls/on-air.ts, the same as LL-HLS) are consumed here (piped from the room's origin when
 * they live on another node, through the room's cascade) and rewritten into one continuous stream
 * per kind (RtpRewriter), which every lane sends to its players. When who is on air changes, the
 * players keep their streams: same SSRC, continuous sequence numbers, a key frame asked for.
 */
export class ProgramFeed {
  readonly observer = new EventEmitter<ProgramFeedEvents>();
  readonly #rewriters: Record<Kind, RtpRewriter>;
  readonly #sources = new Map<Kind, Source>();
  readonly #lanes = new Set<ProgramLane>();
  /** Where the program's consumers sit: the room's origin router on this node. */
  readonly #slot: ReceiverSlot;
  #transport: types.DirectTransport | null = null;
  /** The codec of the last video on air: players are placed on it while nothing is on air. */
  #videoMimeType: string | undefined;
  /** Switches run one after another. */
  #chain: Promise<void> = Promise.resolve();
  #closed = false;
  readonly #onTracks = () => void this.refresh();

  constructor(
    private readonly room: LiveRoom,
    private readonly pool: WorkerPool,
    private readonly logger: Logger,
  ) {
    this.#rewriters = { video: new RtpRewriter(randomInt(1, 2 ** 32 - 1), 90000), audio: new RtpRewriter(randomInt(1, 2 ** 32 - 1), 48000) };
    this.#slot = { tier: room.media.origin, reserved: 0 };
    room.observer.on('tracks', this.#onTracks);
  }

  /** The codec of the video on air now, or last, if any. */
  get videoMimeType(): string | undefined {
    return this.#videoMimeType;
  }

  get idle(): boolean {
    return [...this.#lanes].every((l) => l.sessions === 0);
  }

  /** Picks the program again (and switches to it); settles once it is in place. */
  refresh(): Promise<void> {
    this.#chain = this.#chain.then(() => this.#apply()).catch((err: Error) => this.logger.warn({ room_id: this.room.id, err: err.message }, 'WHEP program switch failed'));
    return this.#chain;
  }

  /** A lane for a player of these codecs, with a seat taken: the caller gives it back with `leave`. */
  async join(codecs: LaneSpec['codecs']): Promise<ProgramLane> {
    const key = laneKey(codecs);
    const same = [...this.#lanes].filter((l) => l.key === key);
    let lane = same.find((l) => l.sessions < PLAYERS_PER_LANE);
    if (!lane) {
      lane = await ProgramLane.open(this.pool, { codecs, ssrcs: { video: this.#rewriters.video.ssrc, audio: this.#rewriters.audio.ssrc } }, () => this.#requestKeyFrame(), new Set(same.map((l) => l.worker)));
      this.#lanes.add(lane);
    }
    lane.sessions += 1;
    return lane;
  }

  /** A player left its lane; an empty lane closes. */
  leave(lane: ProgramLane): void {
    lane.sessions -= 1;
    if (lane.sessions > 0) return;
    lane.close();
    this.#lanes.delete(lane);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.room.observer.off('tracks', this.#onTracks);
    for (const kind of KINDS) this.#drop(kind);
    for (const lane of this.#lanes) lane.close();
    this.#lanes.clear();
    this.#transport?.close();
  }

  async #apply(): Promise<void> {
    if (this.#closed || this.room.isClosed) return;
    const picked = pickOnAir(await this.#tracks());
    for (const kind of KINDS) {
      const want = picked?.[kind];
      if (this.#sources.get(kind)?.producerId === want?.producerId) continue;
      this.#drop(kind);
      if (want && !this.#closed) await this.#take(kind, want);
    }
  }

  /** The room's tracks in publishing order: this node's, then those of other nodes as the relay lists them. */
  async #tracks(): Promise<ProgramTrack[]> {
    const local = [...this.room.tracks.values()].map((t) => ({
      producerId: t.producer.id,
      participantId: t.participant.id,
      source: t.source,
      mimeType: t.producer.rtpParameters.codecs[0]?.mimeType,
      remoteRouterId: undefined,
    }));
    const remote = (await this.room.remotePresence()).tracks.map((t) => ({
      producerId: t.info.producer_id,
      participantId: t.info.participant_id,
      source: t.info.source,
      mimeType: undefined,
      remoteRouterId: t.router_id,
    }));
    return [...local, ...remote];
  }

  async #take(kind: Kind, track: ProgramTrack): Promise<void> {
    const transport = (this.#transport ??= await this.room.media.origin.router.createDirectTransport());
    await this.room.media.attachConsumer(this.#slot, track.producerId, track.remoteRouterId ? { id: track.remoteRouterId } : undefined);
    let consumer: types.Consumer;
    try {
      // No header extensions: the lanes' producers take none, and mediasoup writes its own for players.
      consumer = await transport.consume({ producerId: track.producerId, rtpCapabilities: { codecs: this.room.media.rtpCapabilities.codecs ?? [], headerExtensions: [] } });
    } catch (err) {
      this.room.media.detachConsumer(this.#slot, track.producerId);
      throw err;
    }
    const mimeType = consumer.rtpParameters.codecs[0]!.mimeType;
    const rewriter = this.#rewriters[kind];
    consumer.on('rtp', (packet) => {
      rewriter.rewrite(packet);
      for (const lane of this.#lanes) if (kind === 'audio' || sameMime(lane.spec.codecs.video?.mimeType, mimeType)) lane.forward(kind, packet);
    });
    this.#sources.set(kind, { producerId: track.producerId, consumer, mimeType });
    if (kind === 'video') {
      const previous = this.#videoMimeType;
      this.#videoMimeType = mimeType;
      if (previous && !sameMime(previous, mimeType)) this.observer.emit('codec', mimeType);
    }
    this.logger.debug({ room_id: this.room.id, kind, producer_id: track.producerId }, 'WHEP program on air');
  }

  #drop(kind: Kind): void {
    const source = this.#sources.get(kind);
    if (!source) return;
    this.#sources.delete(kind);
    source.consumer.close();
    this.room.media.detachConsumer(this.#slot, source.producerId);
  }

  #requestKeyFrame(): void {
    void this.#sources.get('video')?.consumer.requestKeyFrame().catch(() => {});
  }
}

export function sameMime(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}
