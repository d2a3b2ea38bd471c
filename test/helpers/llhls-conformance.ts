// Checks an LL-HLS media playlist the way a strict client would: hls-parser (an independent parser)
// in strict mode, then the rules issue 14 holds the packager to that hls-parser does not check.
import * as HLS from 'hls-parser';

export interface ConformanceOptions {
  /** EXT-X-TARGETDURATION and PART-TARGET the playlist declared first: they never change. */
  targetDuration?: number;
  partTarget?: number;
  /** Every segment whose parts are listed starts with an INDEPENDENT part (segments cut on keyframes). */
  keyedSegments?: boolean;
}

const TOLERANCE = 1e-4;
const PART_NAME = /^part(\d+)\.m4s$/;

HLS.setOptions({ strictMode: true, silent: true });

/** Every rule `text` breaks, as sentences; empty when it conforms. */
export function llhlsViolations(text: string, options: ConformanceOptions = {}): string[] {
  let parsed: ReturnType<typeof HLS.parse>;
  try {
    parsed = HLS.parse(text);
  } catch (err) {
    return [`hls-parser (strict): ${(err as Error).message}`];
  }
  if (parsed.isMasterPlaylist) return ['expected a media playlist'];
  const playlist = parsed as HLS.types.MediaPlaylist;
  const problems: string[] = [];
  const fail = (what: string) => problems.push(what);
  const target = playlist.targetDuration;
  const partTarget = playlist.partTargetDuration;
  if (options.targetDuration !== undefined && target !== options.targetDuration) fail(`TARGETDURATION ${target}, declared ${options.targetDuration} before`);
  if (options.partTarget !== undefined && partTarget !== options.partTarget) fail(`PART-TARGET ${partTarget}, declared ${options.partTarget} before`);
  const partHoldBack = playlist.lowLatencyCompatibility?.partHoldBack;
  if (partTarget === undefined || partHoldBack === undefined) return [...problems, 'no PART-TARGET or PART-HOLD-BACK'];
  if (partHoldBack < 3 * partTarget - TOLERANCE) fail(`PART-HOLD-BACK ${partHoldBack} < 3 × PART-TARGET`);

  const segments = playlist.segments;
  let fromEnd = 0;
  let lastNumber: number | undefined;
  let hint: string | undefined;
  for (let i = segments.length - 1; i >= 0; i--) {
    const segment = segments[i]!;
    const open = segment.duration === undefined || segment.uri === '';
    const parts = segment.parts.filter((p) => !p.hint);
    hint ??= segment.parts.find((p) => p.hint)?.uri;
    const listed = parts.reduce((n, p) => n + (p.duration ?? 0), 0);
    const duration = open ? listed : segment.duration;
    if (!open && segment.duration > target + TOLERANCE) fail(`segment ${segment.mediaSequenceNumber} lasts ${segment.duration} > TARGETDURATION ${target}`);
    if (!segment.programDateTime && !open) fail(`segment ${segment.mediaSequenceNumber} has no PROGRAM-DATE-TIME`);
    parts.forEach((part, index) => {
      const d = part.duration ?? 0;
      if (d > partTarget + TOLERANCE) fail(`part ${part.uri} lasts ${d} > PART-TARGET ${partTarget}`);
      // In the open segment every part is followed by another (the hinted one): none is known to be the last.
      const last = !open && index === parts.length - 1;
      if (!last && d < 0.85 * partTarget - TOLERANCE) fail(`part ${part.uri} lasts ${d} < 85% of PART-TARGET ${partTarget}`);
    });
    if (parts.length > 0) {
      if (!open && Math.abs(listed - segment.duration) > 1e-3) fail(`segment ${segment.mediaSequenceNumber}: parts sum to ${listed}, EXTINF ${segment.duration}`);
      if (fromEnd + duration > 3 * target + TOLERANCE) fail(`segment ${segment.mediaSequenceNumber} lists parts more than 3 target durations from the end`);
      // A gap (EXT-X-GAP, parts GAP=YES) has no media to start with a keyframe.
      if (options.keyedSegments && !segment.gap && !parts[0]!.independent && !(open && segment.parts[0]?.hint)) fail(`segment ${segment.mediaSequenceNumber} does not start with an INDEPENDENT part`);
      const number = PART_NAME.exec(parts.at(-1)!.uri)?.[1];
      if (lastNumber === undefined && number !== undefined) lastNumber = Number(number);
    }
    fromEnd += duration ?? 0;
  }
  if (!playlist.endlist) {
    if (!hint) fail('a live playlist without EXT-X-PRELOAD-HINT');
    else if (lastNumber !== undefined && hint !== `part${lastNumber + 1}.m4s`) fail(`EXT-X-PRELOAD-HINT names ${hint}, not the part after part${lastNumber}.m4s`);
  }
  return problems;
}

/** Throws with every rule `text` breaks (and the text). */
export function assertConforming(text: string, options: ConformanceOptions = {}): void {
  const problems = llhlsViolations(text, options);
  if (problems.length > 0) throw new Error(`non-conforming LL-HLS playlist:\n- ${problems.join('\n- ')}\n${text}`);
}
