import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LlHlsError } from '../../../pipeline/llhls/errors.js';
import { MediaPlaylist } from '../../../pipeline/llhls/media-playlist.js';
import { partUri, segmentUri } from '../../../pipeline/llhls/names.js';
import { llhlsViolations } from '../../helpers/llhls-conformance.js';
import { parsePlaylist } from './m3u8.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

const nextMsn = (playlist: MediaPlaylist): number => (playlist.lastSegmentMsn ?? playlist.mediaSequence - 1) + 1;

/** Adds `count` parts of `duration` s (the first independent) to the open segment, timed from `at` ms. */
function addParts(playlist: MediaPlaylist, count: number, duration: number, at: number): number {
  for (let i = 0; i < count; i++) {
    const msn = nextMsn(playlist);
    const index = playlist.lastMsn === msn ? playlist.lastPart! + 1 : 0;
    const number = playlist.nextPartNumber;
    playlist.addPart({ duration, independent: index === 0, uri: partUri(number), programDateTime: at, number });
    at += duration * 1000;
  }
  return at;
}

function closeSegment(playlist: MediaPlaylist): void {
  playlist.closeSegment(segmentUri(nextMsn(playlist)));
}

/** Adds and closes `count` segments of `parts` parts of `duration` s from T0, the one at index `newInitAt` after a new init; the time after them. */
function addSegments(playlist: MediaPlaylist, count: number, parts: number, duration: number, newInitAt?: number): number {
  let at = T0;
  for (let s = 0; s < count; s++) {
    if (s === newInitAt) playlist.setMap('init1.mp4', true);
    at = addParts(playlist, parts, duration, at);
    closeSegment(playlist);
  }
  return at;
}

describe('MediaPlaylist rendering', () => {
  it('renders a small live playlist exactly', () => {
    const playlist = new MediaPlaylist({ targetDuration: 1, partTarget: 0.2 });
    const at = addSegments(playlist, 4, 5, 0.2);
    addParts(playlist, 2, 0.2, at);
    const text = playlist.render({ renditionReports: [{ uri: '../audio/index.m3u8', lastMsn: 4, lastPart: 0 }] });
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:9',
        '#EXT-X-TARGETDURATION:1',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-PART-INF:PART-TARGET=0.200',
        '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.600,CAN-SKIP-UNTIL=6.000',
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:00.000Z',
        '#EXTINF:1.000,',
        'seg0.m4s',
        '#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:01.000Z',
        '#EXTINF:1.000,',
        'seg1.m4s',
        '#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:02.000Z',
        '#EXT-X-PART:DURATION=0.200,URI="part10.m4s",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=0.200,URI="part11.m4s"',
        '#EXT-X-PART:DURATION=0.200,URI="part12.m4s"',
        '#EXT-X-PART:DURATION=0.200,URI="part13.m4s"',
        '#EXT-X-PART:DURATION=0.200,URI="part14.m4s"',
        '#EXTINF:1.000,',
        'seg2.m4s',
        '#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:03.000Z',
        '#EXT-X-PART:DURATION=0.200,URI="part15.m4s",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=0.200,URI="part16.m4s"',
        '#EXT-X-PART:DURATION=0.200,URI="part17.m4s"',
        '#EXT-X-PART:DURATION=0.200,URI="part18.m4s"',
        '#EXT-X-PART:DURATION=0.200,URI="part19.m4s"',
        '#EXTINF:1.000,',
        'seg3.m4s',
        '#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:04.000Z',
        '#EXT-X-PART:DURATION=0.200,URI="part20.m4s",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=0.200,URI="part21.m4s"',
        '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part22.m4s"',
        '#EXT-X-RENDITION-REPORT:URI="../audio/index.m3u8",LAST-MSN=4,LAST-PART=0',
        '',
      ].join('\n'),
    );
  });

  it('renders a delta update, a discontinuity with a new init, the window slide and the end exactly', () => {
    const playlist = new MediaPlaylist({ targetDuration: 1, partTarget: 0.5, windowSegments: 9 });
    const at = addSegments(playlist, 10, 2, 0.5, 8);
    addParts(playlist, 1, 0.5, at);
    // 10 closed segments, window of 9: seg0 slid out. Segments ending more than 6 s before the live
    // edge (seg1 to seg3; seg4 ends 5.5 s before it) are skipped; parts are listed from seg8, the
    // first segment starting within 3 s of the live edge.
    expect(playlist.render({ skip: true })).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:9',
        '#EXT-X-TARGETDURATION:1',
        '#EXT-X-MEDIA-SEQUENCE:1',
        '#EXT-X-PART-INF:PART-TARGET=0.500',
        '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.500,CAN-SKIP-UNTIL=6.000',
        '#EXT-X-SKIP:SKIPPED-SEGMENTS=3',
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:04.000Z',
        '#EXTINF:1.000,',
        'seg4.m4s',
        '#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:05.000Z',
        '#EXTINF:1.000,',
        'seg5.m4s',
        '#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:06.000Z',
        '#EXTINF:1.000,',
        'seg6.m4s',
        '#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:07.000Z',
        '#EXTINF:1.000,',
        'seg7.m4s',
        '#EXT-X-DISCONTINUITY',
        '#EXT-X-MAP:URI="init1.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:08.000Z',
        '#EXT-X-PART:DURATION=0.500,URI="part16.m4s",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=0.500,URI="part17.m4s"',
        '#EXTINF:1.000,',
        'seg8.m4s',
        '#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:09.000Z',
        '#EXT-X-PART:DURATION=0.500,URI="part18.m4s",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=0.500,URI="part19.m4s"',
        '#EXTINF:1.000,',
        'seg9.m4s',
        '#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:10.000Z',
        '#EXT-X-PART:DURATION=0.500,URI="part20.m4s",INDEPENDENT=YES',
        '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part21.m4s"',
        '',
      ].join('\n'),
    );

    // Slide the discontinuity out of the window, then end the stream.
    addParts(playlist, 1, 0.5, at + 500);
    closeSegment(playlist);
    for (let s = 0; s < 8; s++) {
      addParts(playlist, 1, 1, T0 + (11 + s) * 1000);
      closeSegment(playlist);
    }
    playlist.end();
    const ended = parsePlaylist(playlist.render({ skip: true }));
    expect(ended.tags.get('EXT-X-MEDIA-SEQUENCE')).toBe('10');
    expect(ended.tags.get('EXT-X-DISCONTINUITY-SEQUENCE')).toBe('1');
    expect(ended.skipped).toBe(0); // _HLS_skip is ignored once the playlist has EXT-X-ENDLIST
    expect(ended.ended).toBe(true);
    expect(ended.preloadHint).toBeUndefined();
    expect(ended.segments[0]!.map).toBe('init1.mp4');
  });

  it('keeps TARGETDURATION and PART-TARGET as declared whatever the media (the Segmenter cuts it to fit)', () => {
    const playlist = new MediaPlaylist({ targetDuration: 2, partTarget: 0.22 });
    let at = addParts(playlist, 1, 0.3, T0);
    at = addParts(playlist, 6, 0.2, at);
    closeSegment(playlist); // 1.5 s
    addParts(playlist, 5, 0.2, at);
    closeSegment(playlist);
    const parsed = parsePlaylist(playlist.render());
    expect(playlist.targetDuration).toBe(2);
    expect(playlist.partTarget).toBe(0.22);
    expect(parsed.tags.get('EXT-X-TARGETDURATION')).toBe('2');
    expect(parsed.tags.get('EXT-X-PART-INF')).toBe('PART-TARGET=0.220');
    expect(parsed.tags.get('EXT-X-SERVER-CONTROL')).toBe('CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.660,CAN-SKIP-UNTIL=12.000');
  });

  it('lists parts of the open segment and at most the two closed before it, and hints the next part number', () => {
    const playlist = new MediaPlaylist({ targetDuration: 2, partTarget: 0.22, firstPart: 100 });
    const at = addSegments(playlist, 5, 5, 0.2);
    const justClosed = parsePlaylist(playlist.render());
    expect(justClosed.segments.map((s) => s.parts.length)).toEqual([0, 0, 0, 5, 5]);
    expect(justClosed.preloadHint?.URI).toBe('part125.m4s');
    addParts(playlist, 1, 0.2, at);
    const text = playlist.render();
    expect(parsePlaylist(text).segments.map((s) => s.parts.length)).toEqual([0, 0, 0, 5, 5]);
    expect(parsePlaylist(text).preloadHint?.URI).toBe('part126.m4s');
    expect(llhlsViolations(text, { targetDuration: 2, partTarget: 0.22, keyedSegments: true })).toEqual([]);
  });

  it('hands its state over to another run, which goes on in it after a discontinuity', () => {
    const playlist = new MediaPlaylist({ targetDuration: 2, partTarget: 0.22, windowSegments: 4 });
    const at = addSegments(playlist, 6, 5, 0.2, 3);
    addParts(playlist, 1, 0.2, at);
    expect(() => playlist.snapshot()).toThrow(LlHlsError); // a segment is open
    closeSegment(playlist);
    const snapshot = JSON.parse(JSON.stringify(playlist.snapshot())) as ReturnType<MediaPlaylist['snapshot']>;
    const continued = MediaPlaylist.restore(snapshot, 4);
    expect(continued.render()).toBe(playlist.render());
    continued.setMap('init2.mp4', true);
    addParts(continued, 2, 0.2, at + 60_000);
    const text = continued.render();
    expect(llhlsViolations(text, { targetDuration: 2, partTarget: 0.22 })).toEqual([]);
    const parsed = parsePlaylist(text);
    expect(parsed.open).toMatchObject({ discontinuity: true, map: 'init2.mp4' });
    expect(parsed.open!.parts.map((p) => p.uri)).toEqual(['part31.m4s', 'part32.m4s']);
    expect(parsed.tags.get('EXT-X-DISCONTINUITY-SEQUENCE')).toBe(parsePlaylist(playlist.render()).tags.get('EXT-X-DISCONTINUITY-SEQUENCE'));
    expect(continued.lastMsn).toBe(7);
  });

  it('refuses out-of-order use', () => {
    const playlist = new MediaPlaylist({ targetDuration: 1, partTarget: 0.2 });
    expect(() => playlist.closeSegment('seg0.m4s')).toThrow(LlHlsError);
    expect(() => playlist.addPart({ duration: 0, independent: true, uri: 'p', programDateTime: T0, number: 0 })).toThrow(LlHlsError);
    expect(() => playlist.addPart({ duration: 0.2, independent: true, uri: 'p', programDateTime: T0, number: 1 })).toThrow(LlHlsError);
    addParts(playlist, 1, 0.2, T0);
    expect(() => playlist.setMap('init1.mp4', true)).toThrow(LlHlsError);
    expect(() => playlist.end()).toThrow(LlHlsError);
    expect(() => playlist.apply({ kind: 'part', msn: 0, index: 5, part: { duration: 0.2, independent: false, uri: 'x', programDateTime: T0, number: 1 } })).toThrow(
      LlHlsError,
    );
    expect(() => new MediaPlaylist({ targetDuration: 1.5, partTarget: 0.2 })).toThrow(LlHlsError);
    expect(() => new MediaPlaylist({ targetDuration: 1, partTarget: 2 })).toThrow(LlHlsError);
  });
});

/** Part durations as a Segmenter cuts them: in [0.85, 1] × PART-TARGET (with its margin), the last of a segment possibly shorter. */
const durations = (partTarget: number, closed: boolean) =>
  fc.array(fc.double({ min: 0.8501, max: 1, noNaN: true }), { minLength: 1, maxLength: 8 }).chain((shares) =>
    fc.double({ min: 0.05, max: 1, noNaN: true }).map((last) => shares.map((share, i) => partTarget * (closed && i === shares.length - 1 ? last : share))),
  );

/** One random stream on a fixed cadence: per segment, its parts and whether it starts a discontinuity. */
const scenario = fc
  .record({ targetDuration: fc.integer({ min: 1, max: 4 }), partShare: fc.double({ min: 0.1, max: 0.5, noNaN: true }) })
  .chain(({ targetDuration, partShare }) => {
    const partTarget = Math.round(targetDuration * partShare * 1e3) / 1e3;
    /** A segment never outlasts TARGETDURATION: trailing parts beyond it are dropped. */
    const fit = (parts: number[]) => parts.filter((_, i) => parts.slice(0, i + 1).reduce((n, d) => n + d, 0) <= targetDuration || i === 0);
    return fc.record({
      targetDuration: fc.constant(targetDuration),
      partTarget: fc.constant(partTarget),
      windowSegments: fc.integer({ min: 1, max: 15 }),
      firstMsn: fc.nat({ max: 1000 }),
      firstPart: fc.nat({ max: 100_000 }),
      segments: fc.array(fc.record({ parts: durations(partTarget, true).map(fit), discontinuity: fc.boolean() }), { minLength: 0, maxLength: 30 }),
      openParts: fc.option(durations(partTarget, false).map(fit), { nil: [] }),
      skip: fc.boolean(),
    });
  });

describe('MediaPlaylist RFC 8216bis rules, as properties', () => {
  it('holds them for any stream on a fixed cadence', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const declared = { targetDuration: s.targetDuration, partTarget: s.partTarget };
        const playlist = new MediaPlaylist({ ...declared, windowSegments: s.windowSegments, firstMsn: s.firstMsn, firstPart: s.firstPart });
        let at = T0;
        let msn = s.firstMsn;
        let number = s.firstPart;
        /** Discontinuity sequence number of every closed segment, by msn. */
        const dsn = new Map<number, number>();
        let discontinuities = 0;
        const addAll = (list: number[]) =>
          list.forEach((duration, index) => {
            playlist.addPart({ duration, independent: index === 0, uri: partUri(number), programDateTime: at, number: number++ });
            at += duration * 1000;
          });
        for (const [i, segment] of s.segments.entries()) {
          if (segment.discontinuity && i > 0) {
            playlist.setMap(`init${i}.mp4`, true);
            discontinuities++;
          }
          addAll(segment.parts);
          const before = playlist.mediaSequence;
          playlist.closeSegment(segmentUri(msn));
          dsn.set(msn++, discontinuities);
          if (playlist.mediaSequence !== before) {
            // 6.2.2: a segment only slides out if at least 3 target durations stay listed.
            const listed = parsePlaylist(playlist.render()).segments.reduce((n, seg) => n + seg.duration!, 0);
            expect(listed).toBeGreaterThanOrEqual(3 * playlist.targetDuration - 1e-4);
          }
          // Declared once, never changed.
          expect(llhlsViolations(playlist.render(), { ...declared, keyedSegments: true })).toEqual([]);
        }
        addAll(s.openParts);

        const full = parsePlaylist(playlist.render());
        const text = parsePlaylist(playlist.render({ skip: s.skip }));
        expect(llhlsViolations(playlist.render({ skip: s.skip }), { ...declared, keyedSegments: true })).toEqual([]);
        const target = Number(text.tags.get('EXT-X-TARGETDURATION'));
        const control = /CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=([\d.]+),CAN-SKIP-UNTIL=([\d.]+)$/.exec(text.tags.get('EXT-X-SERVER-CONTROL')!)!;
        const canSkipUntil = Number(control[2]);
        const mediaSequence = Number(text.tags.get('EXT-X-MEDIA-SEQUENCE'));
        const segments = full.segments;
        const withOpen = full.open ? [...segments, full.open] : segments;
        const sumTo = (list: { duration?: number; parts: { duration: number }[] }[]) =>
          list.reduce((n, seg) => n + (seg.duration ?? seg.parts.reduce((m, p) => m + p.duration, 0)), 0);

        expect(text.tags.get('EXT-X-VERSION')).toBe('9');
        expect(canSkipUntil).toBeGreaterThanOrEqual(6 * target);
        // 6.2.2: media sequence numbers are contiguous up to the open segment.
        expect(segments.map((seg) => seg.uri)).toEqual(segments.map((_, i) => segmentUri(mediaSequence + i)));
        // The window keeps N segments, or more while dropping the oldest would leave under 3 target durations.
        expect(mediaSequence + segments.length).toBe(msn);
        if (segments.length > s.windowSegments) expect(sumTo(segments.slice(1))).toBeLessThan(3 * target);
        // Parts: the open segment lists all of its own; the two closed segments before it list theirs
        // when they start within 3 target durations of the end (rendered durations are rounded, hence the tolerance).
        segments.forEach((seg, i) => {
          const fromEnd = sumTo(withOpen.slice(i));
          const recent = i >= segments.length - 2;
          expect(seg.parts.length > 0).toBe(recent && fromEnd <= 3 * target + 1e-4);
        });
        expect(full.open?.parts.length ?? 0).toBe(s.openParts.length);
        // INDEPENDENT=YES only where we said the part starts with a keyframe.
        for (const seg of withOpen) seg.parts.forEach((p, i) => expect(p.independent).toBe(i === 0));
        // 4.4.5.3: the preload hint names the next part, whatever segment it will be in.
        expect(text.preloadHint).toEqual({ TYPE: 'PART', URI: partUri(number) });
        // 4.4.3.3 / 6.2.2: DISCONTINUITY-SEQUENCE + preceding tags = each segment's discontinuity number.
        let discontinuitySequence = Number(full.tags.get('EXT-X-DISCONTINUITY-SEQUENCE') ?? 0);
        for (const [i, seg] of segments.entries()) {
          if (seg.discontinuity) discontinuitySequence++;
          expect(discontinuitySequence).toBe(dsn.get(mediaSequence + i));
        }
        // 6.2.5.1: a delta update skips exactly the oldest segments ending more than CAN-SKIP-UNTIL before the live edge.
        if (s.skip) {
          expect(text.tags.get('EXT-X-DISCONTINUITY-SEQUENCE')).toBe(full.tags.get('EXT-X-DISCONTINUITY-SEQUENCE'));
          expect(text.segments).toEqual(segments.slice(text.skipped).map((seg, i) => (i === 0 ? { ...seg, map: text.segments[0]!.map } : seg)));
          const after = (index: number) => sumTo(withOpen.slice(index + 1));
          if (text.skipped > 0) expect(after(text.skipped - 1)).toBeGreaterThan(canSkipUntil - 1e-4);
          if (text.skipped < segments.length) expect(after(text.skipped)).toBeLessThanOrEqual(canSkipUntil + 1e-4);
          if (text.segments[0]) expect(text.segments[0].map).toBeDefined();
        } else {
          expect(text.skipped).toBe(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
