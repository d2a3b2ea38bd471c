import { LlHlsError } from './errors.js';
import { roundSeconds } from './format.js';

/**
 * The timing a live playlist declares up front and keeps for its whole life (RFC 8216bis 4.4.3.1,
 * 4.4.3.7: neither EXT-X-TARGETDURATION nor PART-TARGET may change), across encoder restarts and
 * on-air switches. The packager cuts media to fit it, never the reverse.
 */
export interface Cadence {
  /** PART-TARGET, seconds: every part at most this long, all but a segment's last at least 85% of it. */
  partTarget: number;
  /** Seconds between segment starts: the keyframe interval asked of the publisher or forced on the encoder. */
  segmentTarget: number;
  /** EXT-X-TARGETDURATION, whole seconds: no segment is longer. */
  targetDuration: number;
}

/**
 * 0.22 s: six frames at 30 fps (0.200 s), five at 24-25, three at 15 and four at 20 all fall inside
 * [0.85, 1] × 0.22 = [0.187, 0.220] with room for a publisher's timestamp jitter on both sides; a
 * PART-TARGET of exactly 0.2 would put 6 frames at 30 fps on its upper edge, and the 15% window is
 * then narrower than one frame.
 */
export const DEFAULT_PART_TARGET = 0.22;
export const DEFAULT_SEGMENT_TARGET = 1;
/**
 * The least a part that is not the last of its segment may last, seconds: 85% of PART-TARGET (RFC
 * 8216bis 4.4.4.9), plus the rounding of a playlist's 5 decimals, so a part just above it in media
 * time is not written just below it.
 */
export const shortestPart = (partTarget: number): number => 0.85 * partTarget + 1e-5;

/**
 * The cadence for a part and segment target: EXT-X-TARGETDURATION is the segment target rounded up
 * plus one second, room for a publisher's keyframe that comes late (a segment reaching it without
 * one is cut anyway).
 */
export function cadenceOf(partTarget = DEFAULT_PART_TARGET, segmentTarget = DEFAULT_SEGMENT_TARGET): Cadence {
  if (!(partTarget >= 0.1 && partTarget <= 2)) throw new LlHlsError(`part target must be in [0.1, 2] s, got ${partTarget}`);
  if (!(segmentTarget >= 2 * partTarget && segmentTarget <= 10)) {
    throw new LlHlsError(`segment target must be in [2 × part target, 10] s, got ${segmentTarget}`);
  }
  return { partTarget: roundSeconds(partTarget), segmentTarget, targetDuration: Math.ceil(roundSeconds(segmentTarget)) + 1 };
}
