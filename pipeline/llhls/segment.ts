import { formatDateTime, formatSeconds, quoted, roundSeconds, uriLine } from './format.js';
import { gapPartUri } from './names.js';

/** One partial segment (EXT-X-PART). */
export interface Part {
  /** Seconds. */
  duration: number;
  /** Starts with a keyframe, so a client can begin decoding here (INDEPENDENT=YES). */
  independent: boolean;
  uri: string;
  /** Wall-clock time of the part's first sample, ms since the epoch. */
  programDateTime: number;
  /** Its place among every part of the playlist (names.ts partUri). */
  number: number;
}

/** One closed media segment: what both the live and the VOD playlist need to list it. */
export interface Segment {
  msn: number;
  uri: string;
  /** Seconds (EXTINF). */
  duration: number;
  /** Wall-clock time of the first sample, ms since the epoch. */
  programDateTime: number;
  /** Timestamps or encoding restart here (EXT-X-DISCONTINUITY). */
  discontinuity: boolean;
  /** The init segment (EXT-X-MAP) its fragments need. */
  mapUri: string;
  /**
   * No media: it stands for what one rendition lacks so that its media sequence numbers stay those of
   * the others (EXT-X-GAP, its parts GAP=YES; see Segmenter.realign). Its URI names no object.
   */
  gap?: boolean;
}

/**
 * Tags that open a segment: a discontinuity, the init section when it changes, its wall-clock start,
 * and EXT-X-GAP for a gap (before its parts, which a strict parser then checks for GAP=YES).
 */
export function segmentHeadLines(
  segment: Pick<Segment, 'discontinuity' | 'mapUri' | 'programDateTime' | 'gap'>,
  previousMapUri: string | undefined,
): string[] {
  const lines: string[] = [];
  if (segment.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
  if (segment.mapUri !== previousMapUri) lines.push(`#EXT-X-MAP:URI=${quoted(segment.mapUri)}`);
  lines.push(`#EXT-X-PROGRAM-DATE-TIME:${formatDateTime(segment.programDateTime)}`);
  if (segment.gap) lines.push('#EXT-X-GAP');
  return lines;
}

export function partLine(part: Pick<Part, 'duration' | 'uri' | 'independent'> & { gap?: boolean }): string {
  const independent = part.independent ? ',INDEPENDENT=YES' : '';
  const gap = part.gap ? ',GAP=YES' : '';
  return `#EXT-X-PART:DURATION=${formatSeconds(part.duration)},URI=${quoted(part.uri)}${independent}${gap}`;
}

/**
 * The parts a gap segment lists near the live edge, like any segment (RFC 8216bis 4.4.4.9: every part
 * of a gap is GAP=YES): PART-TARGET long but the last, so they keep the 85% rule. Named apart from the
 * stream's numbered parts (gapPartUri), so the part the preload hint names is still the next one produced.
 */
export function gapPartLines(segment: Pick<Segment, 'msn' | 'duration'>, partTarget: number): string[] {
  const count = Math.max(1, Math.ceil(roundSeconds(segment.duration / partTarget) - 1e-9));
  return Array.from({ length: count }, (_v, i) => {
    const duration = i < count - 1 ? partTarget : roundSeconds(segment.duration - (count - 1) * partTarget);
    return partLine({ duration, uri: gapPartUri(segment.msn, i), independent: false, gap: true });
  });
}

export function segmentBodyLines(segment: Pick<Segment, 'duration' | 'uri'>): string[] {
  return [`#EXTINF:${formatSeconds(segment.duration)},`, uriLine(segment.uri)];
}

/** Smallest whole-second EXT-X-TARGETDURATION that covers a segment (RFC 8216bis 4.4.3.1). */
export const targetDurationFor = (duration: number): number => Math.ceil(roundSeconds(duration));
