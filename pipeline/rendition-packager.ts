import type { Fmp4Item } from './fmp4/fragment-reader.js';
import type { InitSegment } from './fmp4/init-segment.js';
import type { Cadence } from './llhls/cadence.js';
import { MediaPlaylist, type PlaylistSnapshot, type RenditionReport } from './llhls/media-playlist.js';
import type { VariantStream } from './llhls/multivariant-playlist.js';
import type { Segment } from './llhls/segment.js';
import { Segmenter, type PublishAction, type SegmenterAction, type SegmenterPosition } from './llhls/segmenter.js';
import { HlsPublisher, type HlsPublisherOptions } from './publish/hls-publisher.js';

export interface RenditionPackagerOptions extends Omit<HlsPublisherOptions, 'rendition' | 'playlist'> {
  /** Its directory under hls/{room_id}/ (renditionName()). */
  name: string;
  cadence: Cadence;
  /** BANDWIDTH advertised until a segment of it is measured, bits per second. */
  nominalBandwidth: number;
  /** Called when the Segmenter wants the publisher to send a keyframe (a passed-through source). */
  onKeyframeWanted?: () => void;
  /** The playlist an earlier run handed over (an on-air switch): this one goes on in it. */
  resume?: RenditionHandOver;
  /** Closed segments the live playlist keeps (the room's DVR window, windowSegmentsFor); default the live edge only. */
  windowSegments?: number;
}

/** Where a rendition's playlist is when its run hands it over, for the run that continues it. */
export interface RenditionHandOver {
  position: SegmenterPosition;
  playlist: PlaylistSnapshot;
}

/** FRAME-RATE is advertised once this much video was counted. */
const FRAME_RATE_AFTER_S = 1;

/**
 * One rendition of a pipeline run: ffmpeg's fMP4 items for it → Segmenter → HlsPublisher (storage,
 * Redis), and what the multivariant playlist and its siblings' rendition reports say about it.
 */
export class RenditionPackager {
  readonly playlist: MediaPlaylist;
  readonly publisher: HlsPublisher;
  private readonly segmenter: Segmenter;
  /** The newest init segment whose playlist update is published: the variant's codecs and size. */
  private init: InitSegment | undefined;
  private videoSamples = 0;
  private videoSeconds = 0;

  constructor(private readonly options: RenditionPackagerOptions) {
    const { name, cadence, resume, windowSegments } = options;
    this.playlist = resume
      ? MediaPlaylist.restore(resume.playlist, windowSegments)
      : new MediaPlaylist({ targetDuration: cadence.targetDuration, partTarget: cadence.partTarget, ...(windowSegments ? { windowSegments } : {}) });
    this.segmenter = new Segmenter({ cadence, ...(resume ? { resume: resume.position } : {}) });
    this.publisher = new HlsPublisher({ ...options, rendition: name, playlist: this.playlist });
  }

  get name(): string {
    return this.options.name;
  }

  /** Every segment closed so far (see HlsPublisher.closedSegments). */
  get segments(): readonly Segment[] {
    return this.publisher.closedSegments;
  }

  /**
   * Hands one of ffmpeg's items to the Segmenter (throws LlHlsError when they come out of order).
   * `published` settles once its objects are stored and its playlist updates published.
   */
  push(item: Fmp4Item, wallClockAtZero: number): { published: Promise<void>; closedSegment: boolean } {
    if (item.kind === 'init') {
      const published = this.perform(this.segmenter.init(item, wallClockAtZero)).then(() => {
        this.init = item;
      });
      return { published, closedSegment: false };
    }
    const video = item.tracks.find((t) => t.handler === 'vide');
    if (video) {
      this.videoSamples += video.sampleCount;
      this.videoSeconds += video.duration / video.timescale;
    }
    const actions = this.segmenter.fragment(item);
    return { published: this.perform(actions), closedSegment: actions.some((a) => a.type === 'write' && a.kind === 'segment') };
  }

  /** End of stream: the last segment is closed and the playlist ended (ENDLIST). */
  finish(): Promise<void> {
    return this.perform(this.segmenter.finish());
  }

  /** Ends a playlist handed over that no run went on in after all (EXT-X-ENDLIST). */
  end(): Promise<void> {
    return this.publisher.perform([{ type: 'publish', update: { kind: 'end' } }]);
  }

  /** The run failed for good: the playlist ends where it is published (HlsPublisher.abandon). */
  abandon(): Promise<void> {
    return this.publisher.abandon();
  }

  /** End of this run, not of the playlist: the last segment is closed, and where it is comes back for the next run. */
  async handOver(): Promise<RenditionHandOver> {
    await this.perform(this.segmenter.handOver());
    return { position: this.segmenter.position, playlist: this.playlist.snapshot() };
  }

  /**
   * The encoder run ended: the open segment is closed. Where this rendition stands comes back, for
   * the ladder to realign() on the furthest one.
   */
  endRun(): { published: Promise<void>; position: SegmenterPosition } {
    const published = this.perform(this.segmenter.endRun());
    return { published, position: this.segmenter.position };
  }

  /** Goes on at `to` (the furthest rendition's position), with gap segments for what this one lacks (Segmenter.realign). */
  realign(to: Pick<SegmenterPosition, 'msn' | 'mediaEnd'>): Promise<void> {
    return this.perform(this.segmenter.realign(to));
  }

  /** Where the cadence could not be kept so far (Segmenter.misses). */
  get misses(): Segmenter['misses'] {
    return this.segmenter.misses;
  }

  /** Keyframe requests go to the ingest at once; the rest to storage and Redis, in order. */
  private perform(actions: readonly SegmenterAction[]): Promise<void> {
    if (actions.some((a) => a.type === 'keyframe')) this.options.onKeyframeWanted?.();
    return this.publisher.perform(actions.filter((a): a is PublishAction => a.type !== 'keyframe'));
  }

  /** This rendition as a variant of the multivariant playlist; undefined until its first init segment is published. */
  variant(): VariantStream | undefined {
    const init = this.init;
    if (!init) return undefined;
    const { peakBitrate, averageBitrate } = this.publisher;
    const video = init.tracks.find((t) => t.handler === 'vide');
    return {
      uri: `${this.name}/index.m3u8`,
      bandwidth: Math.max(this.options.nominalBandwidth, peakBitrate),
      ...(averageBitrate > 0 ? { averageBandwidth: averageBitrate } : {}),
      codecs: init.tracks.flatMap((t) => (t.codec ? [t.codec] : [])),
      ...(video?.width && video.height ? { resolution: { width: video.width, height: video.height } } : {}),
      ...(this.videoSeconds >= FRAME_RATE_AFTER_S ? { frameRate: this.videoSamples / this.videoSeconds } : {}),
    };
  }

  /** Where this rendition is, as a sibling's EXT-X-RENDITION-REPORT (undefined before its first part). */
  report(): RenditionReport | undefined {
    return this.playlist.renditionReport(`../${this.name}/index.m3u8`);
  }
}
