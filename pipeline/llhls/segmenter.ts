import type { Fragment } from '../fmp4/fragment.js';
import { setDecodeTime } from '../fmp4/sample-timing.js';
import type { InitSegment } from '../fmp4/init-segment.js';
import { shortestPart, type Cadence } from './cadence.js';
import { LlHlsError } from './errors.js';
import { roundSeconds } from './format.js';
import { KeyframeSchedule } from './keyframe-schedule.js';
import type { PlaylistUpdate } from './media-playlist.js';
import { MediaUnits, type MediaUnit } from './media-units.js';
import { initUri, partUri, segmentUri } from './names.js';
import type { Segment } from './segment.js';

/** Where a playlist continued from an earlier run goes on: its next segment, part and init section. */
export interface SegmenterPosition {
  msn: number;
  /** Number of the next part (parts are numbered across the playlist's life, see names.ts). */
  part: number;
  /** Number of the next init section (init.mp4, init1.mp4, …). */
  initGeneration: number;
  /** Media time where the playlist's media ends, seconds: the next run's media starts there. */
  mediaEnd: number;
}

export interface SegmenterOptions {
  cadence: Cadence;
  /** Continue a playlist: its first segment here is a discontinuity. Default: a new playlist. */
  resume?: SegmenterPosition;
}

/**
 * What the packager must do, in order: store bytes, then publish the playlist change that refers to
 * them (RFC 8216bis 6.2.1: a part or segment must be downloadable when it appears in the playlist);
 * `keyframe` asks the publisher for a keyframe (ignored when the video is encoded here).
 */
export type SegmenterAction =
  | { type: 'write'; kind: 'init' | 'part' | 'segment'; uri: string; bytes: Buffer }
  | { type: 'publish'; update: PlaylistUpdate }
  | { type: 'keyframe' };

/** The actions that store and publish (HlsPublisher), as opposed to asking the publisher for a keyframe. */
export type PublishAction = Exclude<SegmenterAction, { type: 'keyframe' }>;

/** Where the cadence could not be kept (the media did not allow it), counted for logs and tests. */
export interface CadenceMisses {
  /** Segments cut without a keyframe: a part could not reach 85% of PART-TARGET, or no keyframe came in time. */
  unkeyedSegments: number;
}

/** The track whose samples decide part and segment boundaries: video if there is one. */
interface Timeline {
  trackId: number;
  timescale: number;
  /** Wall clock (ms since the epoch) at media time 0 of this init segment's tracks. */
  wallClockAtZero: number;
  /**
   * Seconds added to this encoder run's timestamps (it starts at 0): where the media before it ended,
   * so the media time goes on across restarts and on-air switches, as players expect.
   */
  offset: number;
  units: MediaUnits;
}

interface PendingPart {
  fragments: Buffer[];
  /** Decode time of the first unit, in timeline ticks. */
  start: number;
  ticks: number;
  independent: boolean;
}

interface OpenSegment {
  parts: Buffer[];
  ticks: number;
  programDateTime: number | undefined;
}

const emptySegment = (): OpenSegment => ({ parts: [], ticks: 0, programDateTime: undefined });

/** `fragment` with every track's decode time moved `offset` seconds later (written into its bytes). */
function shifted(fragment: Fragment, offset: number): Fragment {
  if (offset === 0) return fragment;
  const tracks = fragment.tracks.map((t) => ({ ...t, baseMediaDecodeTime: t.baseMediaDecodeTime + Math.round(offset * t.timescale) }));
  for (const t of tracks) setDecodeTime(fragment.bytes, t.trackId, t.baseMediaDecodeTime);
  return { ...fragment, tracks };
}

/**
 * Turns one rendition's fragments into LL-HLS parts and segments on a fixed cadence. Parts are cut
 * from whole frames (MediaUnits): every part at most PART-TARGET, every part but a segment's last at
 * least 85% of it. A segment starts at the keyframe that comes within half a part of the segment
 * target (asked for ahead of time, KeyframeSchedule); where a part cannot reach 85% or no keyframe
 * came before EXT-X-TARGETDURATION, the segment is cut there without one (counted in `misses`).
 * Parts are numbered across the playlist's life, so the part the preload hint names is the next one
 * produced whatever segment it lands in. Pure: it returns actions and leaves storage and the
 * MediaPlaylist to the caller.
 */
export class Segmenter {
  readonly misses: CadenceMisses = { unkeyedSegments: 0 };
  private readonly cadence: Cadence;
  private readonly schedule: KeyframeSchedule;
  private msn: number;
  private partNumber: number;
  private partIndex = 0;
  private generation: number;
  private timeline: Timeline | undefined;
  private mapUri: string;
  private discontinuity: boolean;
  private pending: PendingPart | undefined;
  private segment = emptySegment();
  /** Start (ticks) of the latest segment that began with a keyframe: the cadence counts from it. */
  private periodStart: number | undefined;
  /** Media time where what was placed so far ends, seconds. */
  private mediaEnd: number;
  private finished = false;

  constructor(options: SegmenterOptions) {
    this.cadence = options.cadence;
    this.schedule = new KeyframeSchedule(this.cadence.segmentTarget);
    const resume = options.resume ?? { msn: 0, part: 0, initGeneration: 0, mediaEnd: 0 };
    this.msn = resume.msn;
    this.partNumber = resume.part;
    this.generation = resume.initGeneration;
    this.mediaEnd = resume.mediaEnd;
    this.mapUri = initUri(this.generation);
    this.discontinuity = options.resume !== undefined;
  }

  /** Where a playlist continued after this run ends goes on (see SegmenterPosition). */
  get position(): SegmenterPosition {
    return { msn: this.msn, part: this.partNumber, initGeneration: this.generation, mediaEnd: this.mediaEnd };
  }

  /**
   * A new init segment: the first one, or the one of a restarted encoder. A restart closes the open
   * segment and starts the next one with a discontinuity and a new init URI (segments still listed need
   * the old init); the new run's timestamps, which start over, are moved to where the media before
   * ended, so the media time goes on.
   */
  init(init: InitSegment, wallClockAtZero: number): SegmenterAction[] {
    this.assertRunning();
    const reference = init.tracks.find((t) => t.handler === 'vide') ?? init.tracks[0];
    if (!reference) throw new LlHlsError('init segment has no tracks');
    const actions = this.drain();
    this.discontinuity ||= this.timeline !== undefined;
    this.mapUri = initUri(this.generation++);
    // No frame outlasts a part; a reference track silent for two part targets (a paused camera) no
    // longer holds the other tracks back.
    const partTicks = this.cadence.partTarget * reference.timescale;
    const units = new MediaUnits(reference, { maxTicks: partTicks, stallTicks: 2 * partTicks });
    this.timeline = { trackId: reference.trackId, timescale: reference.timescale, wallClockAtZero, offset: this.mediaEnd, units };
    this.periodStart = undefined;
    this.schedule.restart();
    actions.push(
      { type: 'write', kind: 'init', uri: this.mapUri, bytes: init.bytes },
      { type: 'publish', update: { kind: 'map', uri: this.mapUri, discontinuity: this.discontinuity } },
    );
    return actions;
  }

  fragment(fragment: Fragment): SegmenterAction[] {
    this.assertRunning();
    const timeline = this.timeline;
    if (!timeline) throw new LlHlsError('fragment before any init segment');
    return timeline.units.push(shifted(fragment, timeline.offset)).flatMap((unit) => this.place(unit, timeline));
  }

  /** End of stream: publishes what is buffered, closes the last segment and ends the playlist. */
  finish(): SegmenterAction[] {
    this.assertRunning();
    const actions = this.drain();
    this.finished = true;
    actions.push({ type: 'publish', update: { kind: 'end' } });
    return actions;
  }

  /**
   * Ends this run without ending the playlist (another run continues it from `position`): what is
   * buffered is published and the open segment closed.
   */
  handOver(): SegmenterAction[] {
    this.assertRunning();
    const actions = this.drain();
    this.finished = true;
    return actions;
  }

  /**
   * The encoder run ended (all of its output read): what is buffered is published and the open segment
   * closed now, so that every rendition's position is known before the next run (see realign).
   */
  endRun(): SegmenterAction[] {
    this.assertRunning();
    return this.drain();
  }

  /**
   * Brings this rendition to `to`, the furthest any rendition of the ladder got in the run that ended
   * (an encoder that died loses what it buffered, and not the same in every output). Every rendition
   * then goes on at the same media sequence number and media time. The segments this one lacks are
   * gaps (EXT-X-GAP) sharing out the media time it lacks, each at most EXT-X-TARGETDURATION: a
   * playlist never skips a number, and never names media that is not there. Call after endRun().
   */
  realign(to: { msn: number; mediaEnd: number }): SegmenterAction[] {
    this.assertRunning();
    if (this.pending?.ticks || this.segment.parts.length > 0) throw new LlHlsError('realign() with an open segment: call endRun() first');
    const missing = to.msn - this.msn;
    const actions: SegmenterAction[] = [];
    if (missing > 0) {
      const { targetDuration, partTarget } = this.cadence;
      // Unrounded for the media time (the renditions must meet exactly), rounded as the playlist writes it.
      const share = Math.min(targetDuration, Math.max(partTarget, (to.mediaEnd - this.mediaEnd) / missing));
      const duration = roundSeconds(share);
      const timeline = this.timeline;
      let programDateTime = timeline ? timeline.wallClockAtZero + (this.mediaEnd - timeline.offset) * 1000 : Date.now();
      for (let i = 0; i < missing; i++) {
        const segment: Segment = { msn: this.msn, uri: segmentUri(this.msn), duration, programDateTime, discontinuity: this.discontinuity, mapUri: this.mapUri, gap: true };
        actions.push({ type: 'publish', update: { kind: 'gap', segment } });
        this.msn++;
        this.mediaEnd += share;
        programDateTime += duration * 1000;
        this.discontinuity = false;
      }
      // What follows a gap is a new stretch of media: the next run's first segment says so.
      this.discontinuity = true;
    }
    this.mediaEnd = Math.max(this.mediaEnd, to.mediaEnd);
    return actions;
  }

  private assertRunning(): void {
    if (this.finished) throw new LlHlsError('segmenter used after finish()');
  }

  /** The unit still held (made to fit the open part: it ends it), then the open part and segment. */
  private drain(): SegmenterAction[] {
    const timeline = this.timeline;
    const room = timeline && this.pending?.ticks ? this.cadence.partTarget * timeline.timescale - this.pending.ticks : undefined;
    const last = timeline?.units.flush(room);
    const actions = last && timeline ? this.place(last, timeline) : [];
    actions.push(...this.closeSegment());
    return actions;
  }

  /** Where `unit` goes: the open part, a new part, or the first part of a new segment. */
  private place(unit: MediaUnit, timeline: Timeline): SegmenterAction[] {
    const { timescale } = timeline;
    const { partTarget, segmentTarget, targetDuration } = this.cadence;
    const partTicks = partTarget * timescale;
    const shortestTicks = shortestPart(partTarget) * timescale;
    const actions: SegmenterAction[] = [];
    const pendingTicks = this.pending?.ticks ?? 0;
    const open = this.segment.parts.length > 0 || pendingTicks > 0;
    if (open && this.periodStart !== undefined) {
      const keyed = unit.keyframe && unit.start - this.periodStart >= (segmentTarget - partTarget / 2) * timescale;
      const tooLong = this.segment.ticks + pendingTicks + unit.ticks > targetDuration * timescale;
      let overflows = pendingTicks > 0 && pendingTicks + unit.ticks > partTicks;
      // A part that would end short of 85%: this frame ends it exactly on PART-TARGET instead, the next
      // one starting that much earlier (MediaUnits.shorten; a few ms, made up by the next frame).
      if (!keyed && !tooLong && overflows && pendingTicks < shortestTicks && timeline.units.shorten(partTicks - pendingTicks)) {
        unit.ticks = partTicks - pendingTicks;
        overflows = false;
      }
      if (keyed) {
        actions.push(...this.closeSegment());
        this.schedule.keyframe(unit.start / timescale);
      } else if (tooLong || (overflows && pendingTicks < shortestTicks)) {
        // No keyframe in time, or a part that would end short of 85%: made the last of its segment instead.
        this.misses.unkeyedSegments++;
        actions.push(...this.closeSegment());
      } else if (overflows) {
        actions.push(...this.flushPart(timeline));
      }
    }
    if (this.segment.parts.length === 0 && (this.pending?.ticks ?? 0) === 0 && unit.keyframe) this.periodStart = unit.start;
    this.periodStart ??= unit.start;

    const pending = this.pending;
    if (!pending || pending.ticks === 0) {
      this.pending = { fragments: [...(pending?.fragments ?? []), ...unit.fragments], start: unit.start, ticks: unit.ticks, independent: unit.keyframe };
    } else {
      pending.fragments.push(...unit.fragments);
      pending.ticks += unit.ticks;
    }
    this.mediaEnd = Math.max(this.mediaEnd, (unit.start + unit.ticks) / timescale);
    // Published as soon as a further unit like this one would not fit: waiting would only add latency.
    const now = this.pending!.ticks;
    if (now >= shortestTicks && now + unit.ticks > partTicks) actions.push(...this.flushPart(timeline));

    if (this.schedule.due((unit.start + unit.ticks) / timescale, this.periodStart / timescale)) actions.push({ type: 'keyframe' });
    return actions;
  }

  private flushPart(timeline: Timeline): SegmenterAction[] {
    const pending = this.pending;
    if (!pending || pending.ticks === 0) return [];
    this.pending = undefined;
    const number = this.partNumber++;
    const uri = partUri(number);
    const bytes = Buffer.concat(pending.fragments);
    const programDateTime = timeline.wallClockAtZero + (pending.start / timeline.timescale - timeline.offset) * 1000;
    this.segment.parts.push(bytes);
    this.segment.ticks += pending.ticks;
    this.segment.programDateTime ??= programDateTime;
    const part = { duration: pending.ticks / timeline.timescale, independent: pending.independent, uri, programDateTime, number };
    const update: PlaylistUpdate = { kind: 'part', msn: this.msn, index: this.partIndex++, part };
    return [
      { type: 'write', kind: 'part', uri, bytes },
      { type: 'publish', update },
    ];
  }

  /**
   * Flushes the pending part and closes the open segment, if there is anything to close. Both objects
   * are written before either is published, so one playlist update carries both: a segment's last
   * part may be short, and is never seen in a playlist as a part of the open segment.
   */
  private closeSegment(): SegmenterAction[] {
    const timeline = this.timeline;
    if (!timeline) return [];
    const [partWrite, partPublish] = this.flushPart(timeline);
    const { parts, ticks, programDateTime } = this.segment;
    if (parts.length === 0 || programDateTime === undefined) return partWrite && partPublish ? [partWrite, partPublish] : [];
    const segment: Segment = {
      msn: this.msn,
      uri: segmentUri(this.msn),
      duration: ticks / timeline.timescale,
      programDateTime,
      discontinuity: this.discontinuity,
      mapUri: this.mapUri,
    };
    const actions: SegmenterAction[] = [
      ...(partWrite ? [partWrite] : []),
      { type: 'write', kind: 'segment', uri: segment.uri, bytes: Buffer.concat(parts) },
      ...(partPublish ? [partPublish] : []),
      { type: 'publish', update: { kind: 'segment', segment } },
    ];
    this.msn++;
    this.partIndex = 0;
    this.discontinuity = false;
    this.segment = emptySegment();
    return actions;
  }
}
