import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { types } from 'mediasoup';
import type { Logger } from '../src/logger.js';
import { isValidRoomId } from '../src/rooms/room-id.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { InitSegment } from './fmp4/init-segment.js';
import type { Fmp4Item } from './fmp4/fragment-reader.js';
import { RtpIngest } from './ingest/rtp-ingest.js';
import { MediaPlaylist } from './llhls/media-playlist.js';
import { renderMultivariantPlaylist } from './llhls/multivariant-playlist.js';
import type { Segment } from './llhls/segment.js';
import { Segmenter } from './llhls/segmenter.js';
import { HlsPublisher } from './publish/hls-publisher.js';
import type { MediaCache } from './publish/media-cache.js';
import type { DrainReport, UploadSpool } from './publish/upload-spool.js';

export interface BroadcastPipelineOptions {
  roomId: string;
  /** The room's origin router: it holds the producers. */
  router: types.Router;
  videoProducerId: string;
  audioProducerId?: string;
  store: ObjectStore;
  /** A regular (non-subscriber) connection: the playlist state is SET and PUBLISHed on it. */
  redis: Redis;
  /** Shared with this process' origin routes (hlsOriginRoutes), which serve the live edge from it. */
  cache: MediaCache;
  logger: Logger;
  /** Seconds; default 1. */
  segmentTarget?: number;
  /** Seconds; default 0.2 (ffmpeg cuts a fragment every 200 ms). */
  partTarget?: number;
  /** ffmpeg runs in a row that may die before producing a segment before the pipeline gives up. */
  maxRestarts?: number;
  /**
   * This process' upload spool (UploadSpool.open({ dir: dataDir.subdir('hls-spool'), store, logger })),
   * shared with its origin routes like `cache`. With it the stream goes on through an object-storage
   * outage (objects are spooled on disk and uploaded in order later); without it a PUT that fails 3
   * times fails the pipeline.
   */
  spool?: UploadSpool;
  /** How long `stop()` waits for this run's spooled objects to reach storage; default 30 000 ms. */
  spoolDrainTimeoutMs?: number;
}

export type BroadcastEndReason = 'stopped' | 'source-closed' | 'failed';

export interface BroadcastPipelineState {
  roomId: string;
  rendition: string;
  /** Playlist URL path under the origin: /hls/{roomId}/master.m3u8. */
  masterPath: string;
  running: boolean;
  ffmpegPid: number | undefined;
  videoPassthrough: boolean;
  restarts: number;
  lastMsn: number | undefined;
  lastPart: number | undefined;
  ended: boolean;
}

interface BroadcastPipelineEvents {
  ended: [reason: BroadcastEndReason, error?: Error];
}

const AUDIO_BITRATE = 128_000;
/** Advertised before the first segment is measured, when the publisher's H.264 is passed through. */
const NOMINAL_PASSTHROUGH_BITRATE = 2_500_000;

/**
 * A broadcast room's LL-HLS: mediasoup → ffmpeg (fMP4) → Segmenter → storage → Redis playlist
 * state that any origin serves. One rendition per run, named after its start time so a later run
 * of the same room never reuses (immutably cached) object names. An ffmpeg that dies is started
 * again; its new init segment becomes a discontinuity in the same playlist.
 */
export class BroadcastPipeline extends EventEmitter<BroadcastPipelineEvents> {
  private readonly segmenter: Segmenter;
  private readonly publisher: HlsPublisher;
  private consecutiveFailures = 0;
  private restarts = 0;
  private advertisedBandwidth = 0;
  private init: InitSegment | undefined;
  private stopping: Promise<DrainReport> | undefined;
  /** segmenter.finish() ran: whatever ffmpeg still flushes after that is dropped. */
  private finished = false;

  private constructor(
    private readonly options: BroadcastPipelineOptions,
    private readonly ingest: RtpIngest,
    private readonly playlist: MediaPlaylist,
    readonly rendition: string,
  ) {
    super();
    const partTarget = options.partTarget ?? 0.2;
    this.segmenter = new Segmenter({ partTarget, segmentTarget: options.segmentTarget ?? 1 });
    this.publisher = new HlsPublisher({ ...options, rendition, playlist });
    ingest.on('item', (item) => this.onItem(item));
    ingest.on('exit', (exit) => {
      if (!exit.requested && !this.stopping) this.restart(exit.error ?? 'ffmpeg exited');
    });
    ingest.on('source-closed', () => void this.stop('source-closed'));
  }

  static async start(options: BroadcastPipelineOptions): Promise<BroadcastPipeline> {
    if (!isValidRoomId(options.roomId)) throw new Error(`invalid room id ${JSON.stringify(options.roomId)}`);
    const segmentTarget = options.segmentTarget ?? 1;
    const ingest = await RtpIngest.create({ ...options, segmentTarget });
    // A publisher's keyframes come a little after we ask for them, so its segments run slightly over the target.
    const targetDuration = Math.ceil(segmentTarget) + (ingest.plan.videoPassthrough ? 1 : 0);
    const playlist = new MediaPlaylist({ targetDuration, partTarget: options.partTarget ?? 0.2 });
    const pipeline = new BroadcastPipeline(options, ingest, playlist, `v${Date.now().toString(36)}`);
    try {
      await ingest.start();
    } catch (err) {
      await ingest.stop();
      throw err;
    }
    return pipeline;
  }

  /**
   * The segments this run stored, for a recording (complete once `stop()` resolved). Every one is in
   * storage or in the spool, which never drops a segment: when `stop()` reports `drained: false`, the
   * rest reaches storage when it is back (or after a restart of this node, from the spool directory).
   */
  get segments(): readonly Segment[] {
    return this.publisher.closedSegments;
  }

  get state(): BroadcastPipelineState {
    return {
      roomId: this.options.roomId,
      rendition: this.rendition,
      masterPath: `/hls/${this.options.roomId}/master.m3u8`,
      running: this.ingest.running,
      ffmpegPid: this.ingest.pid,
      videoPassthrough: this.ingest.plan.videoPassthrough,
      restarts: this.restarts,
      lastMsn: this.playlist.lastMsn,
      lastPart: this.playlist.lastPart,
      ended: this.playlist.ended,
    };
  }

  /**
   * Stops ffmpeg, publishes what it flushed, closes the last segment and ends the playlist (ENDLIST),
   * then waits (at most `spoolDrainTimeoutMs`) until every object of this run is in storage. Resolves
   * with what is still spooled (`drained: false` when the wait timed out).
   */
  stop(reason: BroadcastEndReason = 'stopped', error?: Error): Promise<DrainReport> {
    this.stopping ??= (async () => {
      const { logger, roomId, spoolDrainTimeoutMs = 30_000 } = this.options;
      await this.ingest.stop();
      try {
        this.finished = true;
        await this.publisher.perform(this.segmenter.finish());
      } catch (err) {
        logger.error({ roomId, err: (err as Error).message }, 'could not end the HLS playlist');
      }
      this.emit('ended', reason, error);
      const report = await this.publisher.settle(spoolDrainTimeoutMs);
      if (!report.drained) {
        logger.warn({ roomId, rendition: this.rendition, ...report }, 'HLS run stopped with objects still spooled: they reach storage once it is back');
      } else if (report.waitedMs > 0) {
        logger.info({ roomId, rendition: this.rendition, waitedMs: report.waitedMs }, 'HLS run stopped once its spooled objects were in storage');
      }
      return report;
    })();
    return this.stopping;
  }

  private onItem(item: Fmp4Item): void {
    if (this.finished) return;
    try {
      if (item.kind === 'init') {
        this.init = item;
        // The program date time is the wall clock of the media's arrival, not of ffmpeg's (later) output.
        const zero = this.ingest.mediaStartedAt ?? Date.now();
        void this.publisher.perform(this.segmenter.init(item, zero)).then(() => this.publishMaster(), (err) => this.fail(err));
        return;
      }
      const actions = this.segmenter.fragment(item);
      if (actions.some((a) => a.type === 'write' && a.kind === 'segment')) this.consecutiveFailures = 0;
      void this.publisher.perform(actions).then(() => this.maybeRepublishMaster(), (err) => this.fail(err));
    } catch (err) {
      this.fail(err as Error);
    }
  }

  /** The variant's codecs and size come from the init segment; its BANDWIDTH from the largest segment so far. */
  private async publishMaster(): Promise<void> {
    const init = this.init;
    if (!init) return;
    const { plan } = this.ingest;
    const nominal = plan.videoPassthrough ? NOMINAL_PASSTHROUGH_BITRATE : plan.videoBitrate + AUDIO_BITRATE;
    this.advertisedBandwidth = Math.max(nominal, this.publisher.peakBitrate);
    const video = init.tracks.find((t) => t.handler === 'vide');
    const text = renderMultivariantPlaylist([
      {
        uri: `${this.rendition}/index.m3u8`,
        bandwidth: this.advertisedBandwidth,
        codecs: init.tracks.flatMap((t) => (t.codec ? [t.codec] : [])),
        ...(video?.width && video.height ? { resolution: { width: video.width, height: video.height } } : {}),
      },
    ]);
    await this.publisher.publishMaster(text, [this.rendition]);
    this.markOnAir();
  }

  // Declared before `onAir`, whose initializer sets it (fields initialize in order).
  private markOnAir!: () => void;
  /** Resolves once the multivariant playlist of this run is published: players can start. */
  readonly onAir: Promise<void> = new Promise((resolve) => {
    this.markOnAir = resolve;
  });

  private maybeRepublishMaster(): Promise<void> | undefined {
    if (this.publisher.peakBitrate > this.advertisedBandwidth * 1.1) return this.publishMaster().catch((err) => this.fail(err));
    return undefined;
  }

  private restart(reason: string): void {
    const { logger, roomId, maxRestarts = 5 } = this.options;
    if (++this.consecutiveFailures > maxRestarts) {
      this.fail(new Error(`ffmpeg exited ${this.consecutiveFailures} times without producing a segment: ${reason}`));
      return;
    }
    this.restarts++;
    const delayMs = 250 * 2 ** (this.consecutiveFailures - 1);
    logger.warn({ roomId, reason, delayMs }, 'restarting the HLS ingest');
    setTimeout(() => {
      if (!this.stopping) this.ingest.start().catch((err) => this.fail(err));
    }, delayMs);
  }

  private fail(error: Error): void {
    this.options.logger.error({ roomId: this.options.roomId, err: error.message }, 'HLS pipeline failed');
    void this.stop('failed', error);
  }
}
