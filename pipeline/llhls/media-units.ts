import type { Fragment } from '../fmp4/fragment.js';
import { setDecodeTime, setLastSampleDuration } from '../fmp4/sample-timing.js';

/**
 * The smallest piece of media a part is cut from: one fragment of the reference track (with the
 * ingest's -frag_duration 1, one video frame) and the other tracks' fragments that came after it.
 */
export interface MediaUnit {
  fragments: Buffer[];
  /** Decode time of its first reference sample, in timeline ticks. */
  start: number;
  /** Until the next unit starts, in timeline ticks. */
  ticks: number;
  /** Starts with a keyframe: a segment or an INDEPENDENT part may start here. */
  keyframe: boolean;
}

/** The track that times everything (video if there is one) and its timescale. */
export interface Reference {
  trackId: number;
  timescale: number;
}

export interface MediaUnitLimits {
  /** The longest a unit may last (PART-TARGET), timeline ticks. */
  maxTicks: number;
  /** The reference track silent this long while others go on is stalled (a paused camera), timeline ticks. */
  stallTicks: number;
}

interface Held {
  /**
   * Other tracks' fragments from before the first reference sample. Fragments keep ffmpeg's order:
   * MSE in sequence mode (Shaka's for HLS) times an append by its first sample, and the end of the
   * previous one by its last.
   */
  lead: Buffer[];
  /** The reference fragment whose last sample's duration is set once the next one starts. */
  reference: Buffer;
  samples: number;
  /** Other tracks' fragments that came after it. */
  trailing: Buffer[];
  start: number;
  /** ffmpeg's duration of its samples, timeline ticks. */
  ticks: number;
  keyframe: boolean;
}

/**
 * Turns fragments into MediaUnits that follow one another without a hole and last at most
 * `maxTicks` each. A unit is held until the next reference fragment starts: only then is its
 * duration known for sure, and it is written into the unit's last sample (where ffmpeg had to guess
 * it). A frame that would last longer (a publisher that froze for a moment) lasts `maxTicks`, and the
 * frames after it start early, each lasting up to `maxTicks`, until they are back on their own times:
 * the track never has a hole, no part has to outlast PART-TARGET. When the reference track stalls for
 * longer than `stallTicks` while other tracks go on, the held unit is closed and the other tracks'
 * fragments become units of their own, so parts keep coming. Pure apart from those in-place writes.
 */
export class MediaUnits {
  private held: Held | undefined;
  /** Fragments of other tracks that join the next unit (before the first reference sample, or too short to time). */
  private loose: Buffer[] = [];
  /** End of the last unit handed out: where the next one starts, timeline ticks; undefined before the first. */
  private end: number | undefined;
  private lastTicks = 0;
  /** The last unit handed out, while its frame can still be made shorter (see shorten). */
  private last: { reference: Buffer; start: number } | undefined;
  /** Where the other tracks' media seen so far ends, timeline ticks: where their next sample starts. */
  private othersEnd: number | undefined;
  /** Where the other tracks' first sample starts, timeline ticks. */
  private othersStart: number | undefined;

  constructor(
    private readonly reference: Reference,
    private readonly limits: MediaUnitLimits,
  ) {}

  /** Units completed by `fragment`, in order. */
  push(fragment: Fragment): MediaUnit[] {
    const track = fragment.tracks.find((t) => t.trackId === this.reference.trackId && t.sampleCount > 0);
    const othersEnd = this.othersEnd;
    const others = fragment.tracks.filter((t) => t.trackId !== this.reference.trackId && t.sampleCount > 0);
    if (others.length > 0) {
      this.othersEnd = Math.max(othersEnd ?? 0, this.endOf(fragment, false));
      this.othersStart ??= Math.min(...others.map((t) => this.ticksOf(t.baseMediaDecodeTime, t.timescale)));
    }
    if (track) {
      const own = track.baseMediaDecodeTime;
      // A keyframe, where players start, starts with the other tracks: at their next sample when it
      // is a little later (an audio frame at most), the frame before lasting that much longer.
      // Otherwise a player starting there finds audio a few ms after the video: a hole it must skip.
      const delay = track.startsWithKeyframe && othersEnd !== undefined ? othersEnd - own : 0;
      const target = delay > 0 && delay <= this.limits.maxTicks / 4 ? othersEnd! : own;
      const done = this.held ? [this.complete(target - this.held.start)] : [];
      // Early when the unit before could not last until it; never later than its target.
      const start = this.end !== undefined && track.sampleCount === 1 ? Math.min(this.end, target) : own;
      if (start !== own) setDecodeTime(fragment.bytes, this.reference.trackId, start);
      this.held = { lead: this.loose, reference: fragment.bytes, samples: track.sampleCount, trailing: [], start, ticks: track.duration, keyframe: track.startsWithKeyframe };
      this.loose = [];
      return done;
    }
    const reached = this.endOf(fragment, true);
    const held = this.held;
    if (held) {
      held.trailing.push(fragment.bytes);
      return reached - held.start > this.limits.stallTicks ? [this.complete(reached - held.start)] : [];
    }
    // The reference track stalled (or has not started): time these fragments by their own end.
    const start = this.end;
    if (start === undefined || reached <= start) {
      this.loose.push(fragment.bytes);
      return [];
    }
    // At most a part long: ffmpeg flushes what it still holds of other tracks in one fragment when a
    // run ends, which then runs past the unit's declared end (nothing follows but a new run or the end).
    const unit = { fragments: [...this.loose, fragment.bytes], start, ticks: Math.min(reached - start, Math.floor(this.limits.maxTicks)), keyframe: false };
    this.loose = [];
    this.end = start + unit.ticks;
    this.last = undefined;
    return [unit];
  }

  /**
   * Makes the last unit handed out (a one-frame unit) last `ticks` instead, shorter than it does, and
   * starts the one held after it that much earlier: the Segmenter ends a part exactly on PART-TARGET
   * this way where the next frame would otherwise overshoot it. Returns false when it cannot.
   */
  shorten(ticks: number): boolean {
    const last = this.last;
    if (!last || this.end === undefined || !(ticks >= 1 && last.start + ticks < this.end)) return false;
    const end = last.start + Math.floor(ticks);
    setLastSampleDuration(last.reference, this.reference.trackId, end - last.start);
    this.end = end;
    const held = this.held;
    if (held && held.samples === 1 && held.start > end) {
      setDecodeTime(held.reference, this.reference.trackId, end);
      held.start = end;
    }
    return true;
  }

  /**
   * The held unit (the end of the stream or of an encoder run), its length guessed: as long as the
   * one before (a frame at 30 fps if none), and no longer than `room` ticks when given, so that it
   * still fits the part it ends. Nothing follows it: its length is ours to choose.
   */
  flush(room?: number): MediaUnit | undefined {
    const held = this.held;
    if (!held) return undefined;
    held.trailing.push(...this.loose);
    this.loose = [];
    if (held.samples !== 1) return this.complete(held.ticks);
    const guess = this.lastTicks || held.ticks || Math.round(this.reference.timescale / 30);
    return this.complete(room !== undefined && room >= 1 ? Math.min(guess, Math.floor(room)) : guess);
  }

  /** Where the media of `fragment` ends, in timeline ticks: of every track, or of the other tracks only. */
  private endOf(fragment: Fragment, withReference: boolean): number {
    const tracks = withReference ? fragment.tracks : fragment.tracks.filter((t) => t.trackId !== this.reference.trackId);
    return Math.max(0, ...tracks.map((t) => this.ticksOf(t.baseMediaDecodeTime + t.duration, t.timescale)));
  }

  private ticksOf(time: number, timescale: number): number {
    return Math.round((time * this.reference.timescale) / timescale);
  }

  private complete(until: number): MediaUnit {
    const held = this.held!;
    this.held = undefined;
    // The very first frame starts with the other tracks too, when they start a little after it.
    const lag = this.end === undefined && held.keyframe && held.samples === 1 && this.othersStart !== undefined ? this.othersStart - held.start : 0;
    if (lag > 0 && lag <= this.limits.maxTicks / 4 && lag < until) {
      setDecodeTime(held.reference, this.reference.trackId, this.othersStart!);
      held.start += lag;
      until -= lag;
    }
    const { lead, reference, samples, trailing, ...timing } = held;
    // A one-sample fragment lasts until the next, up to the limit; samples of a longer run keep theirs.
    const ticks = samples === 1 ? Math.min(Math.max(0, until), Math.floor(this.limits.maxTicks)) : Math.max(0, until);
    if (ticks > 0 && samples === 1) setLastSampleDuration(reference, this.reference.trackId, ticks);
    const unit: MediaUnit = { ...timing, fragments: [...lead, reference, ...trailing], ticks };
    this.lastTicks = ticks || this.lastTicks;
    this.end = unit.start + ticks;
    this.last = samples === 1 && ticks > 0 ? { reference, start: unit.start } : undefined;
    return unit;
  }
}
