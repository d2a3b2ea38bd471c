import type { Fragment } from '../fmp4/fragment.js';
import { setLastSampleDuration } from '../fmp4/sample-duration.js';

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

interface Held extends Omit<MediaUnit, 'fragments'> {
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
}

/**
 * Turns fragments into MediaUnits of exact length. A unit is held until the next reference fragment
 * starts: only then is its duration known for sure, and it is written into the unit's last sample
 * (where ffmpeg had to guess it: a stream's first frame, a frame before a gap). When the reference
 * track stalls (a paused camera) while other tracks go on for longer than `stallTicks`, the held unit is closed at the end of what arrived, and the other tracks'
 * fragments become units of their own, so parts keep coming. Pure apart from that in-place write.
 */
export class MediaUnits {
  private held: Held | undefined;
  /** Fragments of other tracks that join the next unit (before the first reference sample, or too short to time). */
  private loose: Buffer[] = [];
  /** End of the last unit handed out, timeline ticks; undefined before the first. */
  private end: number | undefined;
  private lastTicks = 0;

  constructor(
    private readonly reference: Reference,
    private readonly stallTicks: number,
  ) {}

  /** Units completed by `fragment`, in order. */
  push(fragment: Fragment): MediaUnit[] {
    const track = fragment.tracks.find((t) => t.trackId === this.reference.trackId && t.sampleCount > 0);
    if (track) {
      const start = track.baseMediaDecodeTime;
      const done = this.held ? [this.complete(start - this.held.start)] : [];
      this.held = { lead: this.loose, reference: fragment.bytes, samples: track.sampleCount, trailing: [], start, ticks: track.duration, keyframe: track.startsWithKeyframe };
      this.loose = [];
      return done;
    }
    const reached = this.endOf(fragment);
    const held = this.held;
    if (held) {
      held.trailing.push(fragment.bytes);
      return reached - held.start > this.stallTicks ? [this.complete(reached - held.start)] : [];
    }
    // The reference track stalled (or has not started): time these fragments by their own end.
    const start = this.end;
    if (start === undefined || reached <= start) {
      this.loose.push(fragment.bytes);
      return [];
    }
    const unit = { fragments: [...this.loose, fragment.bytes], start, ticks: reached - start, keyframe: false };
    this.loose = [];
    this.end = reached;
    return [unit];
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

  /** Where the media of other tracks in `fragment` ends, in timeline ticks. */
  private endOf(fragment: Fragment): number {
    const { timescale } = this.reference;
    return Math.max(0, ...fragment.tracks.map((t) => Math.round(((t.baseMediaDecodeTime + t.duration) * timescale) / t.timescale)));
  }

  private complete(ticks: number): MediaUnit {
    const held = this.held!;
    this.held = undefined;
    const { lead, reference, samples, trailing, ...timing } = held;
    // Samples before the last keep their own durations; a one-sample fragment lasts exactly until the next.
    if (ticks > 0 && samples === 1) setLastSampleDuration(reference, this.reference.trackId, ticks);
    const unit: MediaUnit = { ...timing, fragments: [...lead, reference, ...trailing], ticks: Math.max(0, ticks) };
    this.lastTicks = unit.ticks || this.lastTicks;
    this.end = unit.start + unit.ticks;
    return unit;
  }
}
