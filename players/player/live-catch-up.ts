// Playing faster to get back to the target distance from the live edge, in place of hls.js's own
// catch-up. hls.js speeds up only while more than 1 s is buffered ahead of the playhead; at
// PART-HOLD-BACK (0.66 s with LevelChat's cadence) a player that is fed part by part never has that
// much ahead until it sits ~1.1 s behind the edge, so it stops catching up ~0.4 s short of the target.
// Here the floor is a part and a half: parts arrive every part target, so at the target the buffer
// ahead swings between PART-HOLD-BACK less one part and PART-HOLD-BACK, always above the floor.
//
// It also owns the allowance for stalls that hls.js would keep for good (liveSyncOnStallIncrease:
// one stall at start-up, common when a stream has just gone on air, would hold every later minute
// further back): each stall adds a step, and each stall-free interval takes one back. A stall soon
// after a step back says the step was too early: the interval doubles (10 s up to 2 min), so a
// viewer whose network cannot hold the target is not walked into a stall again and again.
// No DOM types: the unit tests drive it with plain objects.

/** What it reads from hls.js (an `Hls` instance fits). */
export interface LiveEdgeClock {
  /** Seconds from the playhead to the estimated live edge (hls.js `latency`). */
  readonly latency: number;
  /** Where to hold the playhead, s behind the edge, stalls aside (hls.js `targetLatency` with liveSyncOnStallIncrease 0). */
  readonly targetLatency: number | null;
  readonly latestLevelDetails: { readonly live: boolean; readonly partTarget: number; readonly targetduration: number } | null;
}

/** The part of a media element it reads and steers. */
export interface CatchUpMedia {
  readonly currentTime: number;
  readonly buffered: { readonly length: number; start(index: number): number; end(index: number): number };
  playbackRate: number;
}

/** Closer than this to the target counts as on target (hls.js uses the same). */
const ON_TARGET_S = 0.05;
/** Speed up only with this many part targets buffered ahead (segments when the playlist has no parts). */
const MIN_AHEAD_PARTS = 1.5;
/** Rates step by 1/20 (0.05), so that small wobbles in the edge estimate do not retune playback every tick. */
const RATE_STEPS = 20;
/** Each stall holds the playhead this much further back (about a part; hls.js's default is 1 s). */
export const STALL_STEP_S = 0.25;
/** Stall-free time before the allowance steps back, at first; doubled by each stall that follows a step back soon. */
export const STEP_BACK_MS = 10_000;
const MAX_STEP_BACK_MS = 120_000;
/** A stall this soon after a step back counts against it. */
const TOO_SOON_MS = 30_000;

export interface LiveCatchUpOptions {
  /** Play at most this fast (1 = never catch up; capped at 2). */
  maxRate: number;
  /** Milliseconds, monotonic. Default performance.now. */
  now?: () => number;
}

export class LiveCatchUp {
  readonly #clock: LiveEdgeClock;
  readonly #media: CatchUpMedia;
  readonly #maxRate: number;
  readonly #now: () => number;
  /** Whether the rate is ours to reset (another party, e.g. the user, may have set it). */
  #steering = false;
  #allowance = 0;
  #stepBackMs = STEP_BACK_MS;
  /** When the allowance last changed, and when it last stepped back (ms; -Infinity: never). */
  #changedAt = -Infinity;
  #steppedBackAt = -Infinity;

  constructor(clock: LiveEdgeClock, media: CatchUpMedia, options: LiveCatchUpOptions) {
    this.#clock = clock;
    this.#media = media;
    this.#maxRate = Math.min(2, Math.max(1, options.maxRate));
    this.#now = options.now ?? (() => performance.now());
  }

  /** Seconds added to the target for recent stalls. */
  get allowance(): number {
    return this.#allowance;
  }

  /** The target distance from the live edge now (s), or null before the playlist is known. */
  get target(): number | null {
    const base = this.#clock.targetLatency;
    return base === null ? null : base + this.#allowance;
  }

  /** The video stalled while playing: hold a step further back, up to a segment (as hls.js caps it). */
  stalled(): void {
    const now = this.#now();
    if (now - this.#steppedBackAt < TOO_SOON_MS) this.#stepBackMs = Math.min(MAX_STEP_BACK_MS, this.#stepBackMs * 2);
    const cap = this.#clock.latestLevelDetails?.targetduration || 1;
    this.#allowance = Math.min(cap, this.#allowance + STALL_STEP_S);
    this.#changedAt = now;
  }

  /** Call on every `timeupdate` (and whenever the playlist advances): sets the playback rate. */
  update(): void {
    this.#stepBack();
    const details = this.#clock.latestLevelDetails;
    const target = this.target;
    const latency = this.#clock.latency;
    if (!details?.live || target === null || !(latency > 0) || this.#maxRate === 1) return this.#release();
    const behind = latency - target;
    // Further back than a segment past the target is a viewer who seeked into the past: leave it.
    const inLiveRange = behind < target + details.targetduration;
    const minAhead = MIN_AHEAD_PARTS * (details.partTarget || details.targetduration);
    if (!inLiveRange || behind <= ON_TARGET_S || bufferedAhead(this.#media) <= minAhead) return this.#release();
    // hls.js's curve: ~1.05× at 0.1 s behind, ~1.2× at 0.5 s, up to the maximum from ~1.5 s.
    const curve = 2 / (1 + Math.exp(-0.75 * behind));
    const rate = Math.min(this.#maxRate, Math.max(1, Math.round(curve * RATE_STEPS) / RATE_STEPS));
    this.#steering = true;
    if (this.#media.playbackRate !== rate) this.#media.playbackRate = rate;
  }

  /** One step back towards the base target after a stall-free interval. */
  #stepBack(): void {
    const now = this.#now();
    if (this.#allowance <= 0 || now - this.#changedAt < this.#stepBackMs) return;
    this.#allowance = Math.max(0, this.#allowance - STALL_STEP_S);
    this.#changedAt = this.#steppedBackAt = now;
  }

  /** Back to normal speed, for good (the player drops this hls.js instance). */
  stop(): void {
    this.#release();
  }

  /** Back to normal speed (if we changed it). */
  #release(): void {
    if (!this.#steering) return;
    this.#steering = false;
    if (this.#media.playbackRate !== 1) this.#media.playbackRate = 1;
  }
}

/** Seconds buffered ahead of the playhead in the range that holds it (0 when none does). */
export function bufferedAhead(media: Pick<CatchUpMedia, 'currentTime' | 'buffered'>): number {
  const { buffered, currentTime } = media;
  for (let i = 0; i < buffered.length; i++) {
    // A playhead a hair before a range's start (after a seek or a gap jump) plays from it.
    if (buffered.start(i) <= currentTime + 0.1 && buffered.end(i) > currentTime) return buffered.end(i) - currentTime;
  }
  return 0;
}
