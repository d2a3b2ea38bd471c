import { LlHlsError } from './errors.js';
import { ceilSeconds, formatSeconds, quoted, roundSeconds } from './format.js';
import { partUri } from './names.js';
import { gapPartLines, partLine, segmentBodyLines, segmentHeadLines, type Part, type Segment } from './segment.js';

export interface MediaPlaylistOptions {
  /** EXT-X-TARGETDURATION in whole seconds, for the playlist's whole life (Cadence). */
  targetDuration: number;
  /** PART-TARGET in seconds, for the playlist's whole life (Cadence). */
  partTarget: number;
  /** Closed segments kept in the live window (more while they span under 3 target durations); see windowSegmentsFor. */
  windowSegments?: number;
  /** Media sequence number of the first segment. */
  firstMsn?: number;
  /** EXT-X-MAP URI until setMap() names another. */
  mapUri?: string;
  /** Number of the first part (parts are numbered across the playlist's life, names.ts). */
  firstPart?: number;
}

/** One change to a playlist, in the order a packager produces them (see Segmenter). */
export type PlaylistUpdate =
  | { kind: 'map'; uri: string; discontinuity: boolean }
  | { kind: 'part'; msn: number; index: number; part: Part }
  | { kind: 'segment'; segment: Segment }
  | { kind: 'gap'; segment: Segment }
  | { kind: 'end' }
  /** The run failed for good and nothing goes on in the playlist: see MediaPlaylist.abandon(). */
  | { kind: 'abandon' };

/**
 * A playlist whose open segment is closed, as another run continues it (an on-air switch, possibly on
 * another pipeline worker): its declared timing, its window, and where it goes on.
 */
export interface PlaylistSnapshot {
  targetDuration: number;
  partTarget: number;
  discontinuitySequence: number;
  segments: (Segment & { parts: Part[] })[];
  nextMsn: number;
  nextPart: number;
  mapUri: string;
}

/** What EXT-X-RENDITION-REPORT says about a sibling rendition. */
export interface RenditionReport {
  uri: string;
  lastMsn: number;
  lastPart: number;
}

export interface RenderOptions {
  /** Produce a Playlist Delta Update (the client sent _HLS_skip=YES). */
  skip?: boolean;
  /** Sibling renditions, for EXT-X-RENDITION-REPORT. */
  renditionReports?: readonly RenditionReport[];
}

type ClosedSegment = Segment & { parts: Part[] };
type OpenSegment = Pick<Segment, 'msn' | 'discontinuity' | 'mapUri'> & { parts: Part[] };

/** The live window without DVR: longer than CAN-SKIP-UNTIL, so delta updates leave something out. */
export const DEFAULT_WINDOW_SEGMENTS = 12;
/** RFC 8216bis 6.2.2: parts go once 3 target durations from the end; a live playlist never shrinks below 3. */
const LIVE_EDGE_TARGET_DURATIONS = 3;
/**
 * Closed segments that still list their parts, besides the open one: also no more than three target
 * durations, and what strict parsers (hls-parser) check, whose rule counts segments, not seconds.
 */
const CLOSED_SEGMENTS_WITH_PARTS = 2;
/** RFC 8216bis 4.4.3.8: CAN-SKIP-UNTIL is at least six target durations. */
const SKIP_TARGET_DURATIONS = 6;
/** Apple's authoring spec: PART-HOLD-BACK at least three part targets (the RFC's floor is two). */
const PART_HOLD_BACK_PARTS = 3;
const EPSILON = 1e-6;
const ENDLIST = '#EXT-X-ENDLIST';
const PRELOAD_HINT = '#EXT-X-PRELOAD-HINT:';

/** Total duration of parts or segments, s. */
export const sum = (items: readonly { duration: number }[]): number => items.reduce((n, i) => n + i.duration, 0);

/**
 * The live LL-HLS media playlist of one rendition (RFC 8216bis, protocol version 9). Parts are
 * added as they are stored, segments closed when the packager decides; the playlist keeps a sliding
 * window of segments, lists parts only near the live edge, and renders full or delta playlists.
 * EXT-X-TARGETDURATION and PART-TARGET are declared once and never change (RFC 8216bis 4.4.3.1,
 * 4.4.3.7): the Segmenter cuts the media to fit them.
 */
export class MediaPlaylist {
  private readonly windowSegments: number;
  private readonly closed: ClosedSegment[] = [];
  private open: OpenSegment;
  private readonly target: number;
  private readonly partTargetSeconds: number;
  private nextPart: number;
  private discontinuitySequence = 0;
  private isEnded = false;
  /** Changes whenever the head (renderHead) does: the closed segments or the window moved. */
  private headChanges = 0;
  private head: { version: number; text: string } | undefined;

  constructor(options: MediaPlaylistOptions) {
    if (!Number.isInteger(options.targetDuration) || options.targetDuration < 1) {
      throw new LlHlsError(`target duration must be a whole number of seconds ≥ 1, got ${options.targetDuration}`);
    }
    if (!(options.partTarget > 0) || options.partTarget > options.targetDuration) {
      throw new LlHlsError(`part target must be in (0, target duration], got ${options.partTarget}`);
    }
    this.target = options.targetDuration;
    this.partTargetSeconds = roundSeconds(options.partTarget);
    this.windowSegments = Math.max(1, options.windowSegments ?? DEFAULT_WINDOW_SEGMENTS);
    this.nextPart = options.firstPart ?? 0;
    this.open = { msn: options.firstMsn ?? 0, discontinuity: false, mapUri: options.mapUri ?? 'init.mp4', parts: [] };
  }

  /** The playlist `snapshot` describes, to be continued (its next segment a discontinuity, see Segmenter). */
  static restore(snapshot: PlaylistSnapshot, windowSegments?: number): MediaPlaylist {
    const { targetDuration, partTarget, nextMsn: firstMsn, nextPart: firstPart, mapUri } = snapshot;
    const playlist = new MediaPlaylist({ targetDuration, partTarget, firstMsn, firstPart, mapUri, ...(windowSegments ? { windowSegments } : {}) });
    playlist.closed.push(...snapshot.segments);
    playlist.discontinuitySequence = snapshot.discontinuitySequence;
    playlist.headChanges++;
    playlist.slideWindow();
    return playlist;
  }

  /** This playlist to be continued by another run (see restore); its open segment must be closed. */
  snapshot(): PlaylistSnapshot {
    if (this.open.parts.length > 0 || this.isEnded) throw new LlHlsError('only a playlist between segments and not ended can be continued');
    return {
      targetDuration: this.target,
      partTarget: this.partTargetSeconds,
      discontinuitySequence: this.discontinuitySequence,
      segments: this.closed.map((s) => ({ ...s, parts: [...s.parts] })),
      nextMsn: this.open.msn,
      nextPart: this.nextPart,
      mapUri: this.open.mapUri,
    };
  }

  get targetDuration(): number {
    return this.target;
  }

  get partTarget(): number {
    return this.partTargetSeconds;
  }

  get ended(): boolean {
    return this.isEnded;
  }

  /** EXT-X-MEDIA-SEQUENCE: the oldest segment still listed (or the open one). */
  get mediaSequence(): number {
    return this.closed[0]?.msn ?? this.open.msn;
  }

  /** The closed segments the playlist lists, oldest first (the window). */
  get closedSegments(): readonly (Segment & { parts: readonly Part[] })[] {
    return this.closed;
  }

  /** The newest closed segment, if any. */
  get lastSegmentMsn(): number | undefined {
    return this.closed.at(-1)?.msn;
  }

  /** LAST-MSN: the segment of the newest part (RFC 8216bis 4.4.5.4), undefined before the first part. */
  get lastMsn(): number | undefined {
    return this.lastPartPosition()?.msn;
  }

  /** LAST-PART: the index of the newest part within its segment. */
  get lastPart(): number | undefined {
    return this.lastPartPosition()?.part;
  }

  /** Number of the part EXT-X-PRELOAD-HINT names: every part numbered below it was listed (names.ts). */
  get nextPartNumber(): number {
    return this.nextPart;
  }

  /** This playlist as a sibling's EXT-X-RENDITION-REPORT, once it has a part. */
  renditionReport(uri: string): RenditionReport | undefined {
    const last = this.lastPartPosition();
    return last && { uri, lastMsn: last.msn, lastPart: last.part };
  }

  /**
   * Whether a blocking reload for `_HLS_msn=msn` (and `_HLS_part=part`) can be answered: the segment
   * is closed, or that part (or a later one) is listed. RFC 8216bis 6.2.5.2: a part index past the
   * last part of a closed segment means part 0 of the next segment.
   */
  has(msn: number, part?: number): boolean {
    if (part === undefined) return this.lastSegmentMsn !== undefined && msn <= this.lastSegmentMsn;
    const last = this.lastPartPosition();
    if (!last) return false;
    const closed = this.closed.find((s) => s.msn === msn);
    if (closed && part >= this.partCount(closed)) return this.has(msn + 1, 0);
    return msn < last.msn || (msn === last.msn && part <= last.part);
  }

  addPart(part: Part): { msn: number; index: number } {
    if (this.isEnded) throw new LlHlsError('part added after the end of the stream');
    if (!(part.duration > 0) || !Number.isFinite(part.duration)) throw new LlHlsError(`part duration must be > 0, got ${part.duration}`);
    if (part.number !== this.nextPart) throw new LlHlsError(`expected part number ${this.nextPart}, got ${part.number}`);
    this.open.parts.push(part);
    this.nextPart++;
    return { msn: this.open.msn, index: this.open.parts.length - 1 };
  }

  /** Closes the open segment under `uri`; its duration defaults to the sum of its parts. */
  closeSegment(uri: string, duration?: number): Segment {
    const { parts, ...open } = this.open;
    const first = parts[0];
    if (!first) throw new LlHlsError(`segment ${open.msn} closed without parts`);
    const segment: Segment = { ...open, uri, duration: duration ?? sum(parts), programDateTime: first.programDateTime };
    this.closed.push({ ...segment, parts });
    this.open = { msn: open.msn + 1, discontinuity: false, mapUri: open.mapUri, parts: [] };
    this.headChanges++;
    this.slideWindow();
    return segment;
  }

  /**
   * A segment of no media where the open one would be (EXT-X-GAP; see Segmenter.realign): this
   * rendition lacks what its siblings have there, and keeps their media sequence numbers.
   */
  addGap(segment: Segment): void {
    if (this.isEnded) throw new LlHlsError('gap added after the end of the stream');
    if (this.open.parts.length > 0) throw new LlHlsError('a gap can only come between segments');
    if (!(segment.duration > 0) || segment.duration > this.target) throw new LlHlsError(`gap duration must be in (0, ${this.target}], got ${segment.duration}`);
    this.expectPosition(segment.msn);
    this.closed.push({ ...segment, gap: true, discontinuity: segment.discontinuity || this.open.discontinuity, parts: [] });
    this.open = { msn: segment.msn + 1, discontinuity: false, mapUri: this.open.mapUri, parts: [] };
    this.headChanges++;
    this.slideWindow();
  }

  /** The init segment of the next segment; with `discontinuity`, that segment starts a new timeline. */
  setMap(uri: string, discontinuity: boolean): void {
    if (this.open.parts.length > 0) throw new LlHlsError('the init segment can only change between segments');
    this.open.mapUri = uri;
    this.open.discontinuity ||= discontinuity;
  }

  /** The stream is over: EXT-X-ENDLIST, no more hints, and blocking requests answer at once. */
  end(): void {
    if (this.open.parts.length > 0) throw new LlHlsError('close the open segment before ending the stream');
    this.isEnded = true;
  }

  /**
   * The stream failed for good (its publisher gave up) and no run goes on in it: ended where it is,
   * EXT-X-ENDLIST instead of the hint. Unlike end(), the open segment may have parts: they stay
   * listed after the last segment that could be closed (each is stored, and a playlist never drops
   * its newest entries, RFC 8216bis 6.2.2); the segment they would have made is never written.
   */
  abandon(): void {
    this.isEnded = true;
  }

  apply(update: PlaylistUpdate): void {
    switch (update.kind) {
      case 'map':
        return this.setMap(update.uri, update.discontinuity);
      case 'part':
        this.expectPosition(update.msn, update.index);
        this.addPart(update.part);
        return;
      case 'segment':
        this.expectPosition(update.segment.msn);
        this.closeSegment(update.segment.uri, update.segment.duration);
        return;
      case 'gap':
        return this.addGap(update.segment);
      case 'end':
        return this.end();
      case 'abandon':
        return this.abandon();
    }
  }

  /** The full playlist, or with `skip` its delta update; the full one is renderHead() + renderTail(). */
  render(options: RenderOptions = {}): string {
    // Ended, a delta request gets the whole playlist: exactly the full one (no EXT-X-MAP repeated at the tail).
    const { skip, ...tailOptions } = options;
    if (!skip || this.isEnded) return this.renderHead() + this.renderTail(tailOptions);
    const skipped = this.skippableSegments();
    const lines = this.headerLines();
    if (skipped > 0) lines.push(`#EXT-X-SKIP:SKIPPED-SEGMENTS=${skipped}`);
    return this.renderFrom(lines, skipped, options);
  }

  /**
   * The start of the full playlist: its header and the closed segments before the last two (which
   * never list parts). It changes only when a segment closes, so a DVR window of hours is rendered
   * (and published) once per segment, not once per part: see playlist-state.ts.
   */
  renderHead(): string {
    if (this.head?.version !== this.headChanges) {
      const lines = this.headerLines();
      let mapUri: string | undefined;
      for (const segment of this.closed.slice(0, this.tailStart())) {
        lines.push(...segmentHeadLines(segment, mapUri), ...segmentBodyLines(segment));
        mapUri = segment.mapUri;
      }
      this.head = { version: this.headChanges, text: `${lines.join('\n')}\n` };
    }
    return this.head.text;
  }

  /** Identifies renderHead()'s text: it changes exactly when this does. */
  get headVersion(): number {
    return this.headChanges;
  }

  /** The rest of the full playlist after renderHead(): the live edge, changing with every part. */
  renderTail(options: Pick<RenderOptions, 'renditionReports'> = {}): string {
    return this.renderFrom([], this.tailStart(), options);
  }

  /** `lines`, then the closed segments from index `first` on, the open segment and the end or hint. */
  private renderFrom(lines: string[], first: number, options: RenderOptions): string {
    const firstWithParts = this.firstSegmentWithParts();
    // EXT-X-MAP where the init section differs from the segment before's: always at the first one of a delta update.
    let mapUri = options.skip ? undefined : this.closed[first - 1]?.mapUri;
    for (let i = first; i < this.closed.length; i++) {
      const segment = this.closed[i]!;
      lines.push(...segmentHeadLines(segment, mapUri));
      if (i >= firstWithParts) lines.push(...(segment.gap ? gapPartLines(segment, this.partTargetSeconds) : segment.parts.map(partLine)));
      lines.push(...segmentBodyLines(segment));
      mapUri = segment.mapUri;
    }
    const openFirst = this.open.parts[0];
    if (openFirst) {
      lines.push(...segmentHeadLines({ ...this.open, programDateTime: openFirst.programDateTime }, mapUri));
      lines.push(...this.open.parts.map(partLine));
    }

    if (this.isEnded) lines.push(ENDLIST);
    else lines.push(`${PRELOAD_HINT}TYPE=PART,URI=${quoted(partUri(this.nextPart))}`);
    for (const report of options.renditionReports ?? []) {
      lines.push(`#EXT-X-RENDITION-REPORT:URI=${quoted(report.uri)},LAST-MSN=${report.lastMsn},LAST-PART=${report.lastPart}`);
    }
    return `${lines.join('\n')}\n`;
  }

  private headerLines(): string[] {
    const lines = ['#EXTM3U', '#EXT-X-VERSION:9', `#EXT-X-TARGETDURATION:${this.target}`, `#EXT-X-MEDIA-SEQUENCE:${this.mediaSequence}`];
    if (this.discontinuitySequence > 0) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${this.discontinuitySequence}`);
    lines.push(
      `#EXT-X-PART-INF:PART-TARGET=${formatSeconds(this.partTargetSeconds)}`,
      '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES' +
        `,PART-HOLD-BACK=${formatSeconds(ceilSeconds(PART_HOLD_BACK_PARTS * this.partTargetSeconds))}` +
        `,CAN-SKIP-UNTIL=${formatSeconds(SKIP_TARGET_DURATIONS * this.target)}`,
    );
    return lines;
  }

  /** Index of the first closed segment of the tail: the last two, which may list parts. */
  private tailStart(): number {
    return Math.max(0, this.closed.length - CLOSED_SEGMENTS_WITH_PARTS);
  }

  private lastPartPosition(): { msn: number; part: number } | undefined {
    if (this.open.parts.length > 0) return { msn: this.open.msn, part: this.open.parts.length - 1 };
    const segment = this.closed.at(-1);
    return segment && { msn: segment.msn, part: this.partCount(segment) - 1 };
  }

  /** Parts a closed segment lists near the live edge: a gap's are derived from its duration. */
  private partCount(segment: ClosedSegment): number {
    return segment.gap ? gapPartLines(segment, this.partTargetSeconds).length : segment.parts.length;
  }

  private expectPosition(msn: number, index = this.open.parts.length): void {
    if (msn !== this.open.msn || index !== this.open.parts.length) {
      throw new LlHlsError(`expected part ${this.open.msn}.${this.open.parts.length}, got ${msn}.${index}`);
    }
  }

  /** Drops the oldest segments beyond the window, never leaving less than 3 target durations listed. */
  private slideWindow(): void {
    let listed = sum(this.closed);
    for (let oldest = this.closed[0]; oldest && this.closed.length > this.windowSegments; oldest = this.closed[0]) {
      if (listed - oldest.duration < LIVE_EDGE_TARGET_DURATIONS * this.target - EPSILON) return;
      this.closed.shift();
      listed -= oldest.duration;
      if (oldest.discontinuity) this.discontinuitySequence++;
    }
  }

  /** Index of the oldest closed segment still listing its parts: one of the last two, starting within 3 target durations of the end. */
  private firstSegmentWithParts(): number {
    let fromEnd = sum(this.open.parts);
    const oldest = Math.max(0, this.closed.length - CLOSED_SEGMENTS_WITH_PARTS);
    for (let i = this.closed.length - 1; i >= oldest; i--) {
      fromEnd += this.closed[i]!.duration;
      if (fromEnd > LIVE_EDGE_TARGET_DURATIONS * this.target + EPSILON) return i + 1;
    }
    return oldest;
  }

  /** Delta updates leave out the oldest segments that end more than CAN-SKIP-UNTIL before the live edge. */
  private skippableSegments(): number {
    let fromEnd = sum(this.open.parts);
    for (let i = this.closed.length - 1; i >= 0; i--) {
      if (fromEnd > SKIP_TARGET_DURATIONS * this.target + EPSILON) return i + 1;
      fromEnd += this.closed[i]!.duration;
    }
    return 0;
  }
}

/**
 * A live playlist's text (full, or the tail after renderHead()) as render() writes it once the
 * playlist is abandon()ed: EXT-X-ENDLIST in place of the hint, everything listed kept. For whoever
 * ends a playlist whose publisher is gone and has only what it published (the node that takes over
 * the job of one that died).
 */
export function endedPlaylistText(text: string): string {
  const lines = text.split('\n');
  if (lines.includes(ENDLIST)) return text;
  const hint = lines.findIndex((line) => line.startsWith(PRELOAD_HINT));
  if (hint >= 0) lines[hint] = ENDLIST;
  else lines.splice(lines.at(-1) === '' ? lines.length - 1 : lines.length, 0, ENDLIST);
  return lines.join('\n');
}
