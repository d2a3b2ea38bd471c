import type { Redis } from 'ioredis';
import type { types } from 'mediasoup';
import { BroadcastPipeline } from '../../pipeline/broadcast-pipeline.js';
import type { MediaCache } from '../../pipeline/publish/media-cache.js';
import type { UploadSpool } from '../../pipeline/publish/upload-spool.js';
import type { Recorder } from '../../pipeline/recording/recorder.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { RoomEventType } from '../events/room-event.js';
import type { Logger } from '../logger.js';
import type { HlsRendition } from '../rooms/room-types.js';
import { hlsUrl, type HlsStatusStore } from './hls-status.js';

/** What the director needs to know of a published track. */
export interface OnAirCandidate {
  producer: types.Producer;
  participantId: string;
  identity: string;
  source: 'camera' | 'microphone' | 'screen' | 'screen-audio';
}

export interface BroadcastDirectorDeps {
  roomId: string;
  router: types.Router;
  store: ObjectStore;
  redis: Redis;
  cache: MediaCache;
  /** Keeps the stream going through a storage outage (objects spooled on disk, uploaded later). */
  spool: UploadSpool;
  status: HlsStatusStore;
  emit: (type: RoomEventType, data: Record<string, unknown>) => Promise<void>;
  /** The room's config.hls_renditions; absent for rooms created before it existed (one `source` rendition). */
  renditions?: readonly HlsRendition[];
  /** Set when the room records (config.record.enabled): each finished run becomes a recording of its top rendition. */
  recorder: Recorder | null;
  logger: Logger;
}

// Waiting a moment after a change lets a camera and its microphone, published together, go on air
// together instead of restarting the pipeline for the second one.
const SETTLE_MS = 600;
const ON_AIR_TIMEOUT_MS = 10_000;
const HLS_VIDEO = new Set(['video/H264', 'video/VP8']);

/**
 * Who is on air in a room's LL-HLS stream, and the pipeline that carries it.
 *
 * The rule: the stage participant who published a camera first is on air, with their microphone;
 * with no camera, the first screen share (with its audio). When that video stops, the next one by
 * the same rule goes on air as a new rendition behind the same /hls/{room}/master.m3u8 (the old
 * playlist ends; players reload the master). With nothing to show, the stream ends.
 */
export class BroadcastDirector {
  private pipeline: BroadcastPipeline | null = null;
  private onAir: { video: string; audio: string | undefined } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private announced = false;
  private closed = false;

  constructor(private readonly deps: BroadcastDirectorDeps) {}

  /** Call after any track is published or unpublished; `tracks` in publishing order. */
  tracksChanged(tracks: () => OnAirCandidate[]): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.chain = this.chain.then(() => this.apply(pick(tracks()))).catch((err: Error) => this.deps.logger.error({ room_id: this.deps.roomId, err: err.message }, 'HLS director failed'));
    }, SETTLE_MS);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.chain = this.chain.then(() => this.apply(null));
    await this.chain;
  }

  private async apply(next: ReturnType<typeof pick>): Promise<void> {
    const same = next && this.onAir && next.video.producer.id === this.onAir.video && next.audio?.producer.id === this.onAir.audio;
    if (same) return;
    if (this.pipeline) {
      const old = this.pipeline;
      this.pipeline = null;
      this.onAir = null;
      await old.stop();
      // Only the top rendition is recorded: the others are lower-quality copies of the same stream.
      await this.deps.recorder?.record(this.deps.roomId, old.state.rendition, old.segments).catch((err: Error) => {
        this.deps.logger.error({ room_id: this.deps.roomId, err: err.message }, 'could not record the finished stream');
      });
    }
    if (!next || this.closed) {
      if (this.announced) {
        this.announced = false;
        await this.deps.status.set(this.deps.roomId, { state: 'ended', on_air: null });
        await this.deps.emit('hls.ended', { url: hlsUrl(this.deps.roomId) });
      }
      return;
    }
    const pipeline = await BroadcastPipeline.start({
      roomId: this.deps.roomId,
      router: this.deps.router,
      videoProducerId: next.video.producer.id,
      ...(next.audio ? { audioProducerId: next.audio.producer.id } : {}),
      store: this.deps.store,
      redis: this.deps.redis,
      cache: this.deps.cache,
      spool: this.deps.spool,
      ...(this.deps.renditions ? { renditions: this.deps.renditions } : {}),
      logger: this.deps.logger,
    });
    this.pipeline = pipeline;
    this.onAir = { video: next.video.producer.id, audio: next.audio?.producer.id };
    // Announce the stream when players can load it (the master is published on the first init segment).
    await Promise.race([pipeline.onAir, new Promise((r) => setTimeout(r, ON_AIR_TIMEOUT_MS).unref())]);
    if (this.pipeline !== pipeline) return;
    pipeline.on('ended', (reason, error) => {
      if (reason === 'failed') {
        this.deps.logger.error({ room_id: this.deps.roomId, err: error?.message }, 'LL-HLS pipeline failed');
        void this.deps.status.set(this.deps.roomId, { state: 'failed', on_air: null, error: error?.message ?? 'pipeline failed' });
      }
    });
    const onAir = { participant_id: next.video.participantId, identity: next.video.identity };
    await this.deps.status.set(this.deps.roomId, { state: 'live', on_air: onAir });
    if (!this.announced) {
      this.announced = true;
      await this.deps.emit('hls.started', { url: hlsUrl(this.deps.roomId), on_air: onAir });
    }
    const { videoPassthrough: passthrough, renditions } = pipeline.state;
    this.deps.logger.info({ room_id: this.deps.roomId, ...onAir, passthrough, renditions }, 'LL-HLS on air');
  }
}

function pick(tracks: OnAirCandidate[]): { video: OnAirCandidate; audio: OnAirCandidate | undefined } | null {
  const usable = tracks.filter((t) => !t.producer.closed);
  const video =
    usable.find((t) => t.source === 'camera' && HLS_VIDEO.has(t.producer.rtpParameters.codecs[0]?.mimeType ?? '')) ??
    usable.find((t) => t.source === 'screen' && HLS_VIDEO.has(t.producer.rtpParameters.codecs[0]?.mimeType ?? ''));
  if (!video) return null;
  const audioSource = video.source === 'camera' ? 'microphone' : 'screen-audio';
  const audio = usable.find((t) => t.participantId === video.participantId && t.source === audioSource);
  return { video, audio };
}
