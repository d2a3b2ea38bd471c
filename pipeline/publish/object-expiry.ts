// When a live rendition's parts and segments may leave storage. Pure: HlsPublisher feeds it the
// segments it closes, ExpiryQueue carries out what it hands back (durably, off the hot path).
import { z } from 'zod';
import { DEFAULT_WINDOW_SEGMENTS, sum } from '../llhls/media-playlist.js';
import { partUri, segmentUri } from '../llhls/names.js';

/** A half-open range of numbers: media sequence numbers, or part numbers (names.ts). */
const rangeSchema = z.object({ from: z.number().int().nonnegative(), to: z.number().int().nonnegative() }).refine((r) => r.to > r.from, 'empty range');

/**
 * Objects of one rendition that may be deleted from `dueAt` on, named by their numbers
 * (seg<msn>.m4s, part<n>.m4s under `prefix`): a sweep keyed by MSN, whatever the run that wrote them.
 */
export const expiryBatchSchema = z.object({
  /** hls/{room_id}/{rendition}/ */
  prefix: z.string().regex(/^hls\/[^/]+\/[^/]+\/$/),
  dueAt: z.number().int(),
  segments: rangeSchema.optional(),
  parts: rangeSchema.optional(),
});
export type ExpiryBatch = z.infer<typeof expiryBatchSchema>;

/** The storage keys `batch` names. */
export function expiredKeys(batch: ExpiryBatch): string[] {
  const keys: string[] = [];
  if (batch.segments) for (let msn = batch.segments.from; msn < batch.segments.to; msn++) keys.push(batch.prefix + segmentUri(msn));
  if (batch.parts) for (let n = batch.parts.from; n < batch.parts.to; n++) keys.push(batch.prefix + partUri(n));
  return keys;
}

/** A closed segment as the expiry sees it: its number, length and the numbers of its parts [firstPart, endPart). */
export interface ExpirySegment {
  msn: number;
  duration: number;
  firstPart: number;
  endPart: number;
}

export interface ExpiryPlanOptions {
  /** hls/{room_id}/{rendition}/ */
  prefix: string;
  /** The segments stay for good (the run is recorded: its VOD playlist names them); parts still go. */
  keepSegments: boolean;
  /** Segments' worth of objects gathered into one batch (one multi-object DELETE); default 10. */
  batchSegments?: number;
}

interface Tracked extends ExpirySegment {
  partsDueAt?: number;
  segmentDueAt?: number;
  partsTaken?: boolean;
  segmentTaken?: boolean;
}

/** The playlist's window after a change: its oldest segment and how long all of it lasts. */
export interface ListedWindow {
  firstMsn: number;
  seconds: number;
}

const BATCH_SEGMENTS = 10;

/**
 * RFC 8216bis 6.2.2: a segment removed from the playlist stays available for its duration plus that
 * of the longest playlist that listed it, since a client may have just loaded that playlist. So a
 * segment that slides out of the window (the DVR window, or the live edge's) is deleted that long
 * after. Parts are listed only near the live edge and a seeking player fetches whole segments, so
 * parts go as if the playlist kept only the live edge (DEFAULT_WINDOW_SEGMENTS): once their segment
 * is that far behind, plus the same margin. Deletions are handed out in batches of whole ranges.
 */
export class ExpiryPlan {
  private readonly tracked: Tracked[] = [];
  private readonly batchSegments: number;

  constructor(private readonly options: ExpiryPlanOptions) {
    this.batchSegments = Math.max(1, options.batchSegments ?? BATCH_SEGMENTS);
  }

  /** Takes charge of segments an earlier run listed (a playlist continued after an on-air switch). */
  adopt(segments: readonly ExpirySegment[]): void {
    for (const s of segments) this.track(s);
  }

  /** A segment closed; `window`: the playlist's afterwards. Returns the batches that are complete. */
  closed(segment: ExpirySegment, window: ListedWindow, now: number): ExpiryBatch[] {
    this.track(segment);
    const newest = segment.msn;
    const liveEdgeS = sum(this.tracked.slice(-DEFAULT_WINDOW_SEGMENTS));
    for (const t of this.tracked) {
      if (t.segmentDueAt === undefined && t.msn < window.firstMsn) t.segmentDueAt = now + (t.duration + window.seconds) * 1000;
      if (t.partsDueAt === undefined && newest - t.msn >= DEFAULT_WINDOW_SEGMENTS) t.partsDueAt = now + (t.duration + liveEdgeS) * 1000;
    }
    return this.take(false);
  }

  /** Everything already due for deletion, however few: the run ends or hands its playlist over. */
  flush(): ExpiryBatch[] {
    return this.take(true);
  }

  private track(segment: ExpirySegment): void {
    const last = this.tracked.at(-1);
    if (!last || segment.msn > last.msn) this.tracked.push({ ...segment });
  }

  private take(all: boolean): ExpiryBatch[] {
    const batches: ExpiryBatch[] = [];
    const { prefix, keepSegments } = this.options;
    const partsDue = this.leading((t) => t.partsDueAt !== undefined && !t.partsTaken);
    if (partsDue.length >= this.batchSegments || (all && partsDue.length > 0)) {
      const from = partsDue[0]!.firstPart;
      const to = partsDue.at(-1)!.endPart;
      if (to > from) batches.push({ prefix, dueAt: Math.ceil(Math.max(...partsDue.map((t) => t.partsDueAt!))), parts: { from, to } });
      for (const t of partsDue) t.partsTaken = true;
    }
    const segmentsDue = this.leading((t) => t.segmentDueAt !== undefined && !t.segmentTaken);
    if (segmentsDue.length >= this.batchSegments || (all && segmentsDue.length > 0)) {
      const segments = { from: segmentsDue[0]!.msn, to: segmentsDue.at(-1)!.msn + 1 };
      if (!keepSegments) batches.push({ prefix, dueAt: Math.ceil(Math.max(...segmentsDue.map((t) => t.segmentDueAt!))), segments });
      for (const t of segmentsDue) t.segmentTaken = true;
    }
    while (this.tracked[0]?.partsTaken && this.tracked[0].segmentTaken) this.tracked.shift();
    return batches;
  }

  /** The first run of tracked segments that `due` accepts (they are due oldest first). */
  private leading(due: (t: Tracked) => boolean): Tracked[] {
    const run: Tracked[] = [];
    for (const t of this.tracked) {
      if (due(t)) run.push(t);
      else if (run.length > 0) break;
    }
    return run;
  }
}

/**
 * The closed segments a playlist lists, as the expiry sees them; `nextPart`: the number of the part
 * after them. A segment without parts (a gap) spans no part numbers.
 */
export function expirySegmentsOf(segments: readonly { msn: number; duration: number; parts: readonly { number: number }[] }[], nextPart: number): ExpirySegment[] {
  const out: ExpirySegment[] = [];
  let following = nextPart;
  for (let i = segments.length - 1; i >= 0; i--) {
    const { msn, duration, parts } = segments[i]!;
    const firstPart = parts[0]?.number ?? following;
    out.push({ msn, duration, firstPart, endPart: parts.length > 0 ? parts.at(-1)!.number + 1 : firstPart });
    following = firstPart;
  }
  return out.reverse();
}
