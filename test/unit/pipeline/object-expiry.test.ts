// What leaves storage behind a live playlist, and when (ExpiryPlan: pure), driven by a real
// MediaPlaylist: segments once out of the window plus the RFC's margin, parts once behind the live
// edge, never a segment the playlist lists or a recorded segment, in batches of whole ranges.
import { describe, expect, it } from 'vitest';
import { DEFAULT_WINDOW_SEGMENTS, MediaPlaylist } from '../../../pipeline/llhls/media-playlist.js';
import { partUri, segmentUri } from '../../../pipeline/llhls/names.js';
import { expiredKeys, ExpiryPlan, expirySegmentsOf, type ExpiryBatch } from '../../../pipeline/publish/object-expiry.js';

const PREFIX = 'hls/r_x/v1/';
const T0 = Date.UTC(2024, 0, 1);

/** A 1 s-segment stream (five 0.2 s parts each) with its plan; `now` advances 1 s per segment. */
function live(windowSegments: number, options: { keepSegments?: boolean; batchSegments?: number } = {}) {
  const playlist = new MediaPlaylist({ targetDuration: 1, partTarget: 0.2, windowSegments });
  const plan = new ExpiryPlan({ prefix: PREFIX, keepSegments: options.keepSegments ?? false, batchSegments: options.batchSegments ?? 10 });
  const batches: ExpiryBatch[] = [];
  let now = T0;
  const segment = () => {
    const firstPart = playlist.nextPartNumber;
    for (let i = 0; i < 5; i++) {
      const number = playlist.nextPartNumber;
      playlist.addPart({ duration: 0.2, independent: i === 0, uri: partUri(number), programDateTime: now + i * 200, number });
    }
    const closed = playlist.closeSegment(segmentUri(playlist.lastMsn!));
    now += 1000;
    const seconds = playlist.closedSegments.reduce((n, s) => n + s.duration, 0);
    batches.push(...plan.closed({ msn: closed.msn, duration: closed.duration, firstPart, endPart: playlist.nextPartNumber }, { firstMsn: playlist.mediaSequence, seconds }, now));
  };
  return { playlist, plan, batches, segment, now: () => now };
}

const keysOf = (batches: readonly ExpiryBatch[]) => batches.flatMap(expiredKeys);

describe('expiry of a live playlist’s objects', () => {
  it('deletes segments that left a DVR window its length (+ one segment) later, parts once behind the live edge, in contiguous batches', () => {
    const window = 30;
    const s = live(window);
    for (let i = 0; i < 200; i++) s.segment();
    const segments = s.batches.filter((b) => b.segments);
    const parts = s.batches.filter((b) => b.parts);
    // Contiguous from the first segment and part, never overlapping, in batches of 10.
    expect(segments.map((b) => b.segments)).toEqual(segments.map((_b, i) => ({ from: i * 10, to: i * 10 + 10 })));
    expect(parts.map((b) => b.parts)).toEqual(parts.map((_b, i) => ({ from: i * 50, to: i * 50 + 50 })));
    // Nothing the playlist lists now, and nothing that left it less than (window + 1) s ago, is due yet.
    const listed = new Set(s.playlist.closedSegments.map((x) => x.msn));
    for (const b of segments) for (let msn = b.segments!.from; msn < b.segments!.to; msn++) expect(listed.has(msn)).toBe(false);
    const first = segments[0]!;
    // Segment 9 left the window when segment 9 + 30 closed (at T0 + 40 s): due 31 s later.
    expect(first.dueAt).toBe(T0 + (9 + window + 1) * 1000 + (window + 1) * 1000);
    // Its parts once 12 segments behind: far earlier than the segments with a DVR window.
    expect(parts[0]!.dueAt).toBe(T0 + (9 + DEFAULT_WINDOW_SEGMENTS + 1) * 1000 + (DEFAULT_WINDOW_SEGMENTS + 1) * 1000);
    expect(parts[0]!.dueAt).toBeLessThan(first.dueAt);
    // Storage stays bounded: what is not deleted is the window, the margin and less than a batch.
    const deleted = Math.max(...segments.map((b) => b.segments!.to));
    expect(200 - deleted).toBeLessThanOrEqual(window + window + 1 + 10);
  });

  it('without a DVR window, parts and segments go together, about 25 s after they were new', () => {
    const s = live(DEFAULT_WINDOW_SEGMENTS, { batchSegments: 1 });
    for (let i = 0; i < 40; i++) s.segment();
    const [segments, parts] = [s.batches.filter((b) => b.segments), s.batches.filter((b) => b.parts)];
    expect(segments[0]).toMatchObject({ segments: { from: 0, to: 1 } });
    expect(parts[0]).toMatchObject({ parts: { from: 0, to: 5 } });
    expect(segments[0]!.dueAt).toBe(parts[0]!.dueAt);
    expect(segments[0]!.dueAt - T0).toBe((DEFAULT_WINDOW_SEGMENTS + 1) * 1000 + (DEFAULT_WINDOW_SEGMENTS + 1) * 1000);
  });

  it('keeps a recorded rendition’s segments (its VOD playlist names them) and still expires its parts', () => {
    const s = live(DEFAULT_WINDOW_SEGMENTS, { keepSegments: true });
    for (let i = 0; i < 100; i++) s.segment();
    expect(s.batches.some((b) => b.segments)).toBe(false);
    expect(keysOf(s.batches)).toContain(PREFIX + partUri(0));
    expect(keysOf(s.batches).some((k) => k.includes('seg'))).toBe(false);
  });

  it('hands out what is due when the run ends, and a continued playlist’s segments to the next run', () => {
    const s = live(DEFAULT_WINDOW_SEGMENTS);
    for (let i = 0; i < 25; i++) s.segment();
    const flushed = s.plan.flush();
    const covered = [...s.batches, ...flushed];
    const lastSegment = Math.max(...covered.flatMap((b) => (b.segments ? [b.segments.to] : [])));
    // Every segment that left the window, nothing listed.
    expect(lastSegment).toBe(s.playlist.mediaSequence);
    expect(s.plan.flush()).toEqual([]);

    // The next run adopts what the playlist still lists, and goes on from there.
    const snapshot = s.playlist.snapshot();
    const next = new ExpiryPlan({ prefix: PREFIX, keepSegments: false, batchSegments: 1 });
    const adopted = expirySegmentsOf(snapshot.segments, snapshot.nextPart);
    expect(adopted[0]).toEqual({ msn: snapshot.segments[0]!.msn, duration: 1, firstPart: snapshot.segments[0]!.parts[0]!.number, endPart: snapshot.segments[0]!.parts[0]!.number + 5 });
    next.adopt(adopted);
    const after = next.closed({ msn: snapshot.nextMsn, duration: 1, firstPart: snapshot.nextPart, endPart: snapshot.nextPart + 5 }, { firstMsn: snapshot.segments[1]!.msn, seconds: 12 }, T0);
    expect(after.find((b) => b.segments)?.segments).toEqual({ from: snapshot.segments[0]!.msn, to: snapshot.segments[0]!.msn + 1 });
  });

  it('gives a segment without parts (a gap) an empty part range where it stands', () => {
    const parts = (numbers: number[]) => numbers.map((number) => ({ number }));
    expect(expirySegmentsOf([{ msn: 4, duration: 1, parts: [] }, { msn: 5, duration: 1, parts: parts([10, 11]) }, { msn: 6, duration: 1, parts: [] }], 12)).toEqual([
      { msn: 4, duration: 1, firstPart: 10, endPart: 10 },
      { msn: 5, duration: 1, firstPart: 10, endPart: 12 },
      { msn: 6, duration: 1, firstPart: 12, endPart: 12 },
    ]);
  });

  it('names the objects of a batch by their numbers', () => {
    expect(expiredKeys({ prefix: PREFIX, dueAt: 0, segments: { from: 3, to: 5 }, parts: { from: 7, to: 9 } })).toEqual([
      `${PREFIX}seg3.m4s`,
      `${PREFIX}seg4.m4s`,
      `${PREFIX}part7.m4s`,
      `${PREFIX}part8.m4s`,
    ]);
  });
});
