import { formatDateTime, formatSeconds, quoted, roundSeconds, uriLine } from './format.js';

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
}

/** Tags that open a segment: a discontinuity, the init section when it changes, its wall-clock start. */
export function segmentHeadLines(
  segment: Pick<Segment, 'discontinuity' | 'mapUri' | 'programDateTime'>,
  previousMapUri: string | undefined,
): string[] {
  const lines: string[] = [];
  if (segment.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
  if (segment.mapUri !== previousMapUri) lines.push(`#EXT-X-MAP:URI=${quoted(segment.mapUri)}`);
  lines.push(`#EXT-X-PROGRAM-DATE-TIME:${formatDateTime(segment.programDateTime)}`);
  return lines;
}

export function partLine(part: Part): string {
  const independent = part.independent ? ',INDEPENDENT=YES' : '';
  return `#EXT-X-PART:DURATION=${formatSeconds(part.duration)},URI=${quoted(part.uri)}${independent}`;
}

export function segmentBodyLines(segment: Pick<Segment, 'duration' | 'uri'>): string[] {
  return [`#EXTINF:${formatSeconds(segment.duration)},`, uriLine(segment.uri)];
}

/** Smallest whole-second EXT-X-TARGETDURATION that covers a segment (RFC 8216bis 4.4.3.1). */
export const targetDurationFor = (duration: number): number => Math.ceil(roundSeconds(duration));
