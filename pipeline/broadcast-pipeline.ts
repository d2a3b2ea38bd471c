import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Logger } from '../common/logger.js';
import type { Metrics } from '../common/metrics.js';
import { isValidRoomId } from '../common/room-id.js';
import { inLadderOrder, type HlsRendition } from './renditions.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { Fmp4Item } from './fmp4/fragment-reader.js';
import { AUDIO_BITRATE, encodedVideoBitrate } from './ingest/ffmpeg-args.js';
import type { RtpFeedSource } from './ingest/rtp-feed.js';
import { RtpIngest } from './ingest/rtp-ingest.js';
import { cadenceOf, type Cadence } from './llhls/cadence.js';
import { windowSegmentsFor } from './llhls/dvr-window.js';
import type { PlaylistContinuation } from './publish/playlist-continuation.js';
import type { RenditionReport } from './llhls/media-playlist.js';
import { renderMultivariantPlaylist, type VariantStream } from './llhls/multivariant-playlist.js';
import type { Segment } from './llhls/segment.js';
import { renditionName } from './publish/hls-objects.js';
import type { MediaCache } from './publish/media-cache.js';
import type { DrainReport, UploadSpool } from './publish/upload-spool.js';
import type { ExpiryScheduler } from './publish/expiry-queue.js';
import { RenditionPackager } from './rendition-packager.js';

export interface BroadcastPipelineOptions {
  roomId: string;
  /** Feeds of the room's producers: from its origin router, in this process or on another node. */
  feeds: RtpFeedSource;
  /** The address ffmpeg listens on, as the producers' node reaches it; default 127.0.0.1. */
  listenIp?: string;
  videoProducerId: string;
  audioProducerId?: string;
  store: ObjectStore;
  /** A regular (non-subscriber) connection: the playlist state is SET and PUBLISHed on it. */
  redis: Redis;
  /** Shared with this process' origin routes (hlsOriginRoutes), which serve the live edge from it. */
  cache: MediaCache;
  logger: Logger;
  /** PART-TARGET, segment target and EXT-X-TARGETDURATION of every playlist of the run; default cadenceOf(). */
  cadence?: Cadence;
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
  /** The ladder (the room's config.hls_renditions), one ffmpeg output each; default `['source']`. */
  renditions?: readonly HlsRendition[];
  /** Seconds of the stream kept seekable in the live playlists (the room's config.hls_dvr_window_s); default 0, the live edge only. */
  dvrWindowS?: number;
  /** Where parts and segments that left the playlists go to be deleted (ExpiryQueue); without it they stay. */
  expiry?: ExpiryScheduler;
  /** The run becomes a recording (its top rendition's VOD playlist names its segments): those never expire. */
  recorded?: boolean;
  /** ffmpeg restarts and every part's publish lag are recorded here. */
  metrics?: Pick<Metrics, 'hlsPartPublishLag' | 'ffmpegRestarts'>;
  /**
   * The playlists an earlier run of the room handed over (an on-air switch, handOver()): this run goes
   * on in them, after a discontinuity, with their names and cadence, instead of starting new ones.
   */
  continuation?: PlaylistContinuation;
}

export type BroadcastEndReason = 'stopped' | 'source-closed' | 'failed' | 'handed-over';

export interface BroadcastPipelineState {
  roomId: string;
  /** The top rendition (the one recorded); lastMsn and lastPart are its. */
  rendition: string;
  /** Every rendition's name, highest first. */
  renditions: string[];
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

/** Advertised before the first segment is measured, when the publisher's H.264 is passed through. */
const NOMINAL_PASSTHROUGH_BITRATE = 2_500_000;

/**
 * A broadcast room's LL-HLS: mediasoup → one ffmpeg (an fMP4 output per rendition of the ladder)
 * → a RenditionPackager each (Segmenter → storage → Redis playlist state that any origin serves),
 * behind one multivariant playlist. The renditions of a run are named after its start time so a
 * later run of the same room never reuses (immutably cached) object names. An ffmpeg that dies is
 * started again; its new init segments become a discontinuity in the same playlists.
 */
export class BroadcastPipeline extends EventEmitter<BroadcastPipelineEvents> {
  /** Highest first: the first is the top rendition. */
  private readonly renditions: RenditionPackager[];
  private consecutiveFailures = 0;
  private restarts = 0;
  /** The variants of the multivariant playlist last published, by rendition. */
  private advertised: readonly VariantStream[] = [];
  private stopping: Promise<DrainReport> | undefined;
  /** The segmenters finished: whatever ffmpeg still flushes after that is dropped. */
  private finished = false;
  /** This run handed its playlists over (handOver). */
  private handedOver: Promise<{ continuation: PlaylistContinuation; drained: Promise<DrainReport> }> | undefined;
  /** stop() after a hand-over: the playlists ended after all. */
  private endedHandedOver: Promise<DrainReport> | undefined;

  private constructor(
    private readonly options: BroadcastPipelineOptions,
    private readonly ingest: RtpIngest,
    private readonly cadence: Cadence,
    private readonly run: string,
  ) {
    super();
    const { plan } = ingest;
    // Every rendition cuts the same frames (same timestamps, keyframes on the same frames), so one asks for keyframes.
    const onKeyframeWanted = plan.videoPassthrough ? () => ingest.requestKeyFrame() : undefined;
    this.renditions = plan.renditions.map((rendition, index) => {
      const videoBitrate = encodedVideoBitrate(plan, rendition);
      const nominalBandwidth = videoBitrate === undefined ? NOMINAL_PASSTHROUGH_BITRATE : videoBitrate + (plan.hasAudio ? AUDIO_BITRATE : 0);
      const resume = options.continuation?.renditions.find((r) => r.rendition === rendition);
      return new RenditionPackager({
        ...options,
        name: renditionName(run, rendition),
        cadence,
        windowSegments: windowSegmentsFor(options.dvrWindowS ?? 0, cadence),
        ...(resume ? { resume } : {}),
        nominalBandwidth,
        ...(index === 0 && onKeyframeWanted ? { onKeyframeWanted } : {}),
        keepSegments: index === 0 && options.recorded === true,
        renditionReports: () => this.siblingReports(index),
      });
    });
    ingest.on('item', (index, item) => this.onItem(index, item));
    ingest.on('exit', (exit) => {
      this.alignRenditions();
      if (!exit.requested && !this.stopping) this.restart(exit.error ?? 'ffmpeg exited');
    });
    // The producer went away: the room's director decides in a moment whether another goes on air in
    // these playlists (the job hands them over) or the broadcast is over (the job ends them).
    ingest.on('source-closed', () => void this.handOver('source-closed').catch((err: Error) => this.fail(err)));
  }

  static async start(options: BroadcastPipelineOptions): Promise<BroadcastPipeline> {
    if (!isValidRoomId(options.roomId)) throw new Error(`invalid room id ${JSON.stringify(options.roomId)}`);
    const { continuation } = options;
    // A continued playlist keeps what it declared; a new one is named after this run's start.
    const cadence = continuation?.cadence ?? options.cadence ?? cadenceOf();
    const renditions = inLadderOrder(options.renditions ?? ['source']);
    const ingest = await RtpIngest.create({ ...options, segmentTarget: cadence.segmentTarget, renditions });
    const pipeline = new BroadcastPipeline(options, ingest, cadence, continuation?.run ?? `v${Date.now().toString(36)}`);
    try {
      await ingest.start();
    } catch (err) {
      await ingest.stop();
      throw err;
    }
    return pipeline;
  }

  /** The top rendition's name: the one a recording of this run is made of. */
  get rendition(): string {
    return this.top.name;
  }

  /**
   * The top rendition's segments, for a recording (complete once `stop()` resolved): only the top
   * rendition is recorded. Every one is in storage or in the spool, which never drops a segment:
   * when `stop()` reports `drained: false`, the rest reaches storage when it is back (or after a
   * restart of this node, from the spool directory).
   */
  get segments(): readonly Segment[] {
    return this.top.segments;
  }

  get state(): BroadcastPipelineState {
    return {
      roomId: this.options.roomId,
      rendition: this.rendition,
      renditions: this.renditions.map((r) => r.name),
      masterPath: `/hls/${this.options.roomId}/master.m3u8`,
      running: this.ingest.running,
      ffmpegPid: this.ingest.pid,
      videoPassthrough: this.ingest.plan.videoPassthrough,
      restarts: this.restarts,
      lastMsn: this.top.playlist.lastMsn,
      lastPart: this.top.playlist.lastPart,
      ended: this.top.playlist.ended,
    };
  }

  /**
   * Stops ffmpeg, publishes what it flushed, closes the last segments and ends the playlists (ENDLIST),
   * then waits (at most `spoolDrainTimeoutMs`) until every object of this run is in storage. Resolves
   * with what is still spooled (`drained: false` when the wait timed out).
   */
  stop(reason: BroadcastEndReason = 'stopped', error?: Error): Promise<DrainReport> {
    // Playlists handed over that no run went on in after all, or a hand-over that failed: ended now.
    if (this.handedOver && !this.endedHandedOver) {
      const handedOver = this.handedOver;
      this.endedHandedOver = (async () => {
        const handed = await handedOver.catch((err: Error) => {
          // A failed hand-over has not told anyone the run ended.
          this.emit('ended', 'failed', error ?? err);
          return undefined;
        });
        await this.endPlaylists((r) => r.end());
        return handed ? handed.drained : this.settle();
      })();
    }
    if (this.endedHandedOver) return this.endedHandedOver;
    this.stopping ??= (async () => {
      const { logger, roomId } = this.options;
      await this.ingest.stop();
      this.finished = true;
      await this.endPlaylists((r) => r.finish());
      this.emit('ended', reason, error);
      const report = await this.settle();
      if (!report.drained) {
        logger.warn({ roomId, rendition: this.rendition, ...report }, 'HLS run stopped with objects still spooled: they reach storage once it is back');
      } else if (report.waitedMs > 0) {
        logger.info({ roomId, rendition: this.rendition, waitedMs: report.waitedMs }, 'HLS run stopped once its spooled objects were in storage');
      }
      return report;
    })();
    return this.stopping;
  }

  /**
   * Ends this run without ending its playlists: ffmpeg stops, what it flushed is published and the last
   * segments closed, and where the playlists are comes back for the run that goes on in them (an
   * on-air switch: BroadcastPipelineOptions.continuation). Then, like stop(), it waits for this run's
   * spooled objects (resolving `drained`). A run whose source closed has done this already: it
   * answers with that same hand-over.
   */
  handOver(reason: 'handed-over' | 'source-closed' = 'handed-over'): Promise<{ continuation: PlaylistContinuation; drained: Promise<DrainReport> }> {
    if (this.handedOver) return this.handedOver;
    if (this.stopping) return Promise.reject(new Error('the HLS run is already ending'));
    let handed!: (continuation: PlaylistContinuation) => void;
    const continuation = new Promise<PlaylistContinuation>((resolve) => (handed = resolve));
    const drained = (this.stopping = (async () => {
      await this.ingest.stop();
      this.finished = true;
      const renditions = await Promise.all(this.renditions.map((r) => r.handOver()));
      handed({ run: this.run, cadence: this.cadence, renditions: renditions.map((r, i) => ({ rendition: this.ingest.plan.renditions[i]!, ...r })) });
      this.emit('ended', reason);
      return this.settle();
    })());
    this.handedOver = Promise.race([continuation, drained.then(() => continuation)]).then((c) => ({ continuation: c, drained }));
    return this.handedOver;
  }

  /**
   * The source is away for a while and expected back (a held source, see SourceHolds): this run's
   * ffmpeg ends, flushing what it has, and the playlists wait.
   */
  async holdSource(): Promise<void> {
    if (!this.stopping) await this.ingest.endRun();
  }

  /** The held source is back: a new ffmpeg run, whose init segment is a discontinuity in the same playlists. */
  async resumeSource(): Promise<void> {
    if (!this.stopping && !this.ingest.running) await this.ingest.start();
  }

  /**
   * Ends every rendition's playlist with `end`, or, where that fails (the publisher failed for good:
   * storage, Redis, the packager), where it is published (RenditionPackager.abandon): the run never
   * leaves a live playlist behind whose preload hint will not resolve.
   */
  private async endPlaylists(end: (rendition: RenditionPackager) => Promise<void>): Promise<void> {
    const { logger, roomId } = this.options;
    const ends = this.renditions.map((r) =>
      end(r)
        .catch((err: Error) => {
          logger.warn({ roomId, rendition: r.name, err: err.message }, 'could not end the HLS playlist normally: ending it where it is published');
          return r.abandon();
        })
        .catch((err: Error) => logger.error({ roomId, rendition: r.name, err: err.message }, 'could not end the HLS playlist')),
    );
    await Promise.all(ends);
  }

  /** Waits (at most `spoolDrainTimeoutMs`) until every object of this run is in storage; what is left is reported. */
  private async settle(): Promise<DrainReport> {
    const { spoolDrainTimeoutMs = 30_000 } = this.options;
    return sumReports(await Promise.all(this.renditions.map((r) => r.publisher.settle(spoolDrainTimeoutMs))));
  }

  private get top(): RenditionPackager {
    return this.renditions[0]!;
  }

  /** Where the other renditions are, for rendition `index`'s EXT-X-RENDITION-REPORT tags. */
  private siblingReports(index: number): RenditionReport[] {
    return this.renditions.flatMap((r, i) => (i === index ? [] : (r.report() ?? [])));
  }

  /**
   * An ffmpeg run ended and all of its output was read (a crash, a held source, a stop or a hand-over):
   * every rendition closes its open segment, and one that got less of the run than the others (an
   * encoder loses what it buffered when ffmpeg dies) gets gap segments, so that all go on (or end) at
   * the same media sequence number and media time, as a player switching renditions expects.
   */
  private alignRenditions(): void {
    if (this.finished) return;
    try {
      const ended = this.renditions.map((r) => r.endRun());
      const to = { msn: Math.max(...ended.map((e) => e.position.msn)), mediaEnd: Math.max(...ended.map((e) => e.position.mediaEnd)) };
      const published = [...ended.map((e) => e.published), ...this.renditions.map((r) => r.realign(to))];
      void Promise.all(published).catch((err: Error) => this.fail(err));
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private onItem(index: number, item: Fmp4Item): void {
    const rendition = this.renditions[index];
    if (this.finished || !rendition) return;
    try {
      // The program date time is the wall clock of the media's arrival, not of ffmpeg's (later) output.
      const { published, closedSegment } = rendition.push(item, this.ingest.mediaStartedAt ?? Date.now());
      if (closedSegment) this.consecutiveFailures = 0;
      const next = item.kind === 'init' || this.advertised.length === 0 ? () => this.publishMaster() : () => this.maybeRepublishMaster();
      void published.then(next).catch((err: Error) => this.fail(err));
    } catch (err) {
      this.fail(err as Error);
    }
  }

  /**
   * Once every rendition has a published init segment and a closed segment (a player may probe a
   * segment of the media playlist it loads first: Shaka does, and fails on one still open): codecs
   * and size come from the init segment, BANDWIDTH from the largest segment so far, FRAME-RATE once
   * measured.
   */
  private async publishMaster(): Promise<void> {
    const variants = this.renditions.map((r) => r.variant());
    if (!variants.every((v): v is VariantStream => v !== undefined) || this.renditions.some((r) => r.segments.length === 0)) return;
    this.advertised = variants;
    const [top, ...siblings] = this.renditions;
    await top!.publisher.publishMaster(renderMultivariantPlaylist(variants), this.state.renditions, siblings.map((s) => s.publisher));
    this.markOnAir();
  }

  // Declared before `onAir`, whose initializer sets it (fields initialize in order).
  private markOnAir!: () => void;
  /** Resolves once the multivariant playlist of this run is published: players can start. */
  readonly onAir: Promise<void> = new Promise((resolve) => {
    this.markOnAir = resolve;
  });

  /** Republished when a rendition's bitrate outgrew what is advertised, or its frame rate became known. */
  private async maybeRepublishMaster(): Promise<void> {
    const stale = this.renditions.some((r, i) => {
      const now = r.variant();
      const advertised = this.advertised[i];
      if (!now || !advertised) return false;
      return now.bandwidth > advertised.bandwidth * 1.1 || (now.frameRate !== undefined && advertised.frameRate === undefined);
    });
    if (stale) await this.publishMaster();
  }

  private restart(reason: string): void {
    const { logger, roomId, maxRestarts = 5 } = this.options;
    if (++this.consecutiveFailures > maxRestarts) {
      this.fail(new Error(`ffmpeg exited ${this.consecutiveFailures} times without producing a segment: ${reason}`));
      return;
    }
    this.restarts++;
    this.options.metrics?.ffmpegRestarts.inc();
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

/** One report for the whole run: drained when every rendition is. */
function sumReports(reports: readonly DrainReport[]): DrainReport {
  return {
    drained: reports.every((r) => r.drained),
    waitedMs: Math.max(0, ...reports.map((r) => r.waitedMs)),
    objects: reports.reduce((n, r) => n + r.objects, 0),
    bytes: reports.reduce((n, r) => n + r.bytes, 0),
    segments: reports.reduce((n, r) => n + r.segments, 0),
  };
}
