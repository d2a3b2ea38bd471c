/** Until a first keyframe was measured: about three frames at 30 fps between asking and receiving. */
const INITIAL_LEAD = 0.1;
/** Weight of the newest measurement in the running lead. */
const LEAD_WEIGHT = 0.3;
/** A request unanswered for this long (or 4 leads, if longer) is repeated: the publisher may have missed it. */
const MIN_RETRY = 0.3;

/**
 * When to ask a publisher whose video is passed through for the keyframe that starts the next segment.
 * A keyframe arrives some time after it is asked for (signaling, the encoder, the network, ffmpeg);
 * this learns that lead from what it observes and asks that much before the segment target, so the
 * keyframe lands on the cadence. Times are media seconds of the stream being packaged. Pure.
 */
export class KeyframeSchedule {
  private lead = INITIAL_LEAD;
  /** Media time of the request still unanswered. */
  private requestedAt: number | undefined;

  constructor(
    /** Seconds between segment starts. */
    private readonly segmentTarget: number,
  ) {}

  /** The lead currently assumed, seconds. */
  get expectedLead(): number {
    return this.lead;
  }

  /**
   * Whether to ask for a keyframe now, `now` being the media time packaged so far and `periodStart`
   * that of the keyframe that started the current segment cadence.
   */
  due(now: number, periodStart: number): boolean {
    const { requestedAt } = this;
    if (requestedAt === undefined) {
      if (now + this.lead < periodStart + this.segmentTarget) return false;
    } else if (now - requestedAt < Math.max(MIN_RETRY, 4 * this.lead)) {
      return false;
    }
    this.requestedAt = now;
    return true;
  }

  /** A new timeline (an encoder restart): media time starts over, what was asked is forgotten; the lead is kept. */
  restart(): void {
    this.requestedAt = undefined;
  }

  /** A keyframe at media time `at` started a segment: it answered the request, if one was made before it. */
  keyframe(at: number): void {
    const { requestedAt } = this;
    this.requestedAt = undefined;
    if (requestedAt === undefined || at < requestedAt) return;
    const observed = Math.min(at - requestedAt, this.segmentTarget / 2);
    this.lead = (1 - LEAD_WEIGHT) * this.lead + LEAD_WEIGHT * observed;
  }
}
