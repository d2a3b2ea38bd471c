import type { Fragment } from '../fmp4/fragment.js';
import type { InitSegment } from '../fmp4/init-segment.js';
import { LlHlsError } from './errors.js';
import type { PlaylistUpdate } from './media-playlist.js';
import { initUri, partUri, segmentUri } from './names.js';
import type { Segment } from './segment.js';

export interface SegmenterOptions {
  /** Seconds. Consecutive fragments are merged into one part while they fit in this. */
  partTarget?: number;
  /** Seconds. A segment closes at the first keyframe once it is at least this long. */
  segmentTarget?: number;
  /** Media sequence number of the first segment. */
  firstMsn?: number;
}

/**
 * What the packager must do, in order: store bytes, then publish the playlist change that refers to
 * them (RFC 8216bis 6.2.1: a part or segment must be downloadable when it appears in the playlist).
 */
export type SegmenterAction =
  | { type: 'write'; kind: 'init' | 'part' | 'segment'; uri: string; bytes: Buffer }
  | { type: 'publish'; update: PlaylistUpdate };

/** ffmpeg cuts a fragment every 200 ms (-frag_duration 200000): one fragment per part by default. */
export const DEFAULT_PART_TARGET = 0.2;
export const DEFAULT_SEGMENT_TARGET = 1;

/** The track whose samples decide part and segment boundaries: video if there is one. */
interface Timeline {
  trackId: number;
  timescale: number;
  /** Wall clock (ms since the epoch) at media time 0 of this init segment's tracks. */
  wallClockAtZero: number;
}

interface PendingPart {
  fragments: Buffer[];
  /** Decode time of the first sample, in timeline ticks. */
  start: number;
  ticks: number;
  independent: boolean;
}

interface OpenSegment {
  parts: Buffer[];
  ticks: number;
  programDateTime: number | undefined;
}

/**
 * Turns one rendition's fragments into LL-HLS parts and segments: a part is one or more fragments
 * (never spanning segments), a segment starts on a keyframe once the previous one reached the
 * segment target, and its bytes are the concatenation of its parts. Pure: it returns actions and
 * leaves storage and the MediaPlaylist to the caller.
 */
export class Segmenter {
  private readonly partTarget: number;
  private readonly segmentTarget: number;
  private msn: number;
  private partIndex = 0;
  private generation = 0;
  private timeline: Timeline | undefined;
  private mapUri = initUri(0);
  private discontinuity = false;
  private pending: PendingPart | undefined;
  private segment: OpenSegment = { parts: [], ticks: 0, programDateTime: undefined };
  /** Duration of the latest fragment: our guess for the next one when deciding to hold a part open. */
  private lastFragmentTicks = 0;
  private nextDecodeTime = 0;
  private finished = false;

  constructor(options: SegmenterOptions = {}) {
    this.partTarget = options.partTarget ?? DEFAULT_PART_TARGET;
    this.segmentTarget = options.segmentTarget ?? DEFAULT_SEGMENT_TARGET;
    if (!(this.partTarget > 0) || !(this.segmentTarget >= this.partTarget)) {
      throw new LlHlsError(`need 0 < part target (${this.partTarget}) ≤ segment target (${this.segmentTarget})`);
    }
    this.msn = options.firstMsn ?? 0;
  }

  /**
   * A new init segment: the first one, or the one of a restarted encoder. A restart closes the open
   * segment and starts the next one with a discontinuity and a new init URI, because the timestamps
   * start over and segments still listed need the old init.
   */
  init(init: InitSegment, wallClockAtZero: number): SegmenterAction[] {
    this.assertRunning();
    const reference = init.tracks.find((t) => t.handler === 'vide') ?? init.tracks[0];
    if (!reference) throw new LlHlsError('init segment has no tracks');
    const actions = this.closeSegment();
    const discontinuity = this.generation > 0;
    this.mapUri = initUri(this.generation++);
    this.discontinuity = discontinuity;
    this.timeline = { trackId: reference.trackId, timescale: reference.timescale, wallClockAtZero };
    this.lastFragmentTicks = 0;
    this.nextDecodeTime = 0;
    actions.push(
      { type: 'write', kind: 'init', uri: this.mapUri, bytes: init.bytes },
      { type: 'publish', update: { kind: 'map', uri: this.mapUri, discontinuity } },
    );
    return actions;
  }

  fragment(fragment: Fragment): SegmenterAction[] {
    this.assertRunning();
    const timeline = this.timeline;
    if (!timeline) throw new LlHlsError('fragment before any init segment');
    const track = fragment.tracks.find((t) => t.trackId === timeline.trackId);
    // Without samples of the reference track (e.g. trailing audio at the end), the longest track times it.
    const longest = Math.max(0, ...fragment.tracks.map((t) => t.duration / t.timescale));
    const ticks = track?.duration || Math.round(longest * timeline.timescale);
    if (ticks === 0) return []; // no samples: nothing a player could use
    const start = track?.baseMediaDecodeTime ?? this.nextDecodeTime;
    this.nextDecodeTime = start + ticks;

    const actions: SegmenterAction[] = [];
    const segmentTicks = this.segment.ticks + (this.pending?.ticks ?? 0);
    if (track?.startsWithKeyframe && segmentTicks >= this.segmentTarget * timeline.timescale) {
      actions.push(...this.closeSegment());
    }
    this.pending ??= { fragments: [], start, ticks: 0, independent: track?.startsWithKeyframe ?? false };
    this.pending.fragments.push(fragment.bytes);
    this.pending.ticks += ticks;
    this.lastFragmentTicks = ticks;
    // Publish now unless a further fragment like the last one would still fit: waiting costs latency.
    if (this.pending.ticks + this.lastFragmentTicks > this.partTarget * timeline.timescale) actions.push(...this.flushPart());
    return actions;
  }

  /** End of stream: publishes what is buffered, closes the last segment and ends the playlist. */
  finish(): SegmenterAction[] {
    this.assertRunning();
    const actions = this.closeSegment();
    this.finished = true;
    actions.push({ type: 'publish', update: { kind: 'end' } });
    return actions;
  }

  private assertRunning(): void {
    if (this.finished) throw new LlHlsError('segmenter used after finish()');
  }

  private flushPart(): SegmenterAction[] {
    const pending = this.pending;
    const timeline = this.timeline;
    if (!pending || !timeline) return [];
    this.pending = undefined;
    const uri = partUri(this.msn, this.partIndex);
    const bytes = Buffer.concat(pending.fragments);
    const programDateTime = timeline.wallClockAtZero + (pending.start / timeline.timescale) * 1000;
    this.segment.parts.push(bytes);
    this.segment.ticks += pending.ticks;
    this.segment.programDateTime ??= programDateTime;
    const part = { duration: pending.ticks / timeline.timescale, independent: pending.independent, uri, programDateTime };
    const update: PlaylistUpdate = { kind: 'part', msn: this.msn, index: this.partIndex++, part };
    return [
      { type: 'write', kind: 'part', uri, bytes },
      { type: 'publish', update },
    ];
  }

  /** Flushes the pending part and closes the open segment, if there is anything to close. */
  private closeSegment(): SegmenterAction[] {
    const actions = this.flushPart();
    const { parts, ticks, programDateTime } = this.segment;
    if (parts.length === 0 || !this.timeline || programDateTime === undefined) return actions;
    const segment: Segment = {
      msn: this.msn,
      uri: segmentUri(this.msn),
      duration: ticks / this.timeline.timescale,
      programDateTime,
      discontinuity: this.discontinuity,
      mapUri: this.mapUri,
    };
    actions.push(
      { type: 'write', kind: 'segment', uri: segment.uri, bytes: Buffer.concat(parts) },
      { type: 'publish', update: { kind: 'segment', segment } },
    );
    this.msn++;
    this.partIndex = 0;
    this.discontinuity = false;
    this.segment = { parts: [], ticks: 0, programDateTime: undefined };
    return actions;
  }
}
