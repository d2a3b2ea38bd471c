import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Fragment } from '../../../pipeline/fmp4/fragment.js';
import type { InitSegment } from '../../../pipeline/fmp4/init-segment.js';
import { LlHlsError } from '../../../pipeline/llhls/errors.js';
import { MediaPlaylist, type PlaylistUpdate } from '../../../pipeline/llhls/media-playlist.js';
import type { Part, Segment } from '../../../pipeline/llhls/segment.js';
import { Segmenter, type SegmenterAction } from '../../../pipeline/llhls/segmenter.js';
import { encodeFragmentedMp4, readAll } from './ffmpeg-fixture.js';
import { parsePlaylist } from './m3u8.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

const syntheticInit: InitSegment = {
  kind: 'init',
  bytes: Buffer.from('init'),
  tracks: [
    { trackId: 2, handler: 'soun', timescale: 48000, sampleEntry: 'mp4a', codec: 'mp4a.40.2', defaults: { duration: 1024, flags: 0 } },
    { trackId: 1, handler: 'vide', timescale: 1000, sampleEntry: 'avc1', codec: 'avc1.42e01f', defaults: { duration: 0, flags: 0 } },
  ],
};

/** A video fragment of `ticks` ms starting at `start` ms; its bytes identify it. */
function fragment(id: number, start: number, ticks: number, keyframe: boolean): Fragment {
  return {
    kind: 'fragment',
    bytes: Buffer.from(`[${id}]`),
    sequenceNumber: id,
    tracks: [{ trackId: 1, handler: 'vide', timescale: 1000, baseMediaDecodeTime: start, sampleCount: 1, duration: ticks, startsWithKeyframe: keyframe }],
  };
}

/** Fragments of `ticks` ms with a keyframe every `gop` fragments. */
function regular(count: number, ticks: number, gop: number, firstId = 0): Fragment[] {
  return Array.from({ length: count }, (_, i) => fragment(firstId + i, i * ticks, ticks, i % gop === 0));
}

/** Runs actions the way the packager must: store the bytes, then publish; returns what was stored. */
function perform(actions: SegmenterAction[], playlist: MediaPlaylist, stored: Map<string, Buffer>): void {
  for (const action of actions) {
    if (action.type === 'write') {
      stored.set(action.uri, action.bytes);
      continue;
    }
    const { update } = action;
    const uri = update.kind === 'part' ? update.part.uri : update.kind === 'segment' ? update.segment.uri : update.kind === 'map' ? update.uri : undefined;
    if (uri !== undefined) expect(stored.has(uri), `${uri} stored before it is published`).toBe(true);
    playlist.apply(update);
  }
}

const updates = (actions: SegmenterAction[]): PlaylistUpdate[] => actions.flatMap((a) => (a.type === 'publish' ? [a.update] : []));
const segmentsOf = (actions: SegmenterAction[]): Segment[] => updates(actions).flatMap((u) => (u.kind === 'segment' ? [u.segment] : []));
const partsOf = (actions: SegmenterAction[]): (Part & { msn: number; index: number })[] =>
  updates(actions).flatMap((u) => (u.kind === 'part' ? [{ ...u.part, msn: u.msn, index: u.index }] : []));

function run(segmenter: Segmenter, init: InitSegment, fragments: Fragment[]): SegmenterAction[] {
  return [...segmenter.init(init, T0), ...fragments.flatMap((f) => segmenter.fragment(f)), ...segmenter.finish()];
}

describe('Segmenter on real ffmpeg fragments', () => {
  let init: InitSegment;
  let fragments: Fragment[];
  beforeAll(() => {
    const items = readAll(encodeFragmentedMp4(3));
    init = items[0] as InitSegment;
    fragments = items.slice(1) as Fragment[];
  });

  it('makes one part per fragment and a 1 s segment per keyframe interval', () => {
    const actions = run(new Segmenter(), init, fragments);
    const playlist = new MediaPlaylist({ targetDuration: 1, partTarget: 0.2 });
    const stored = new Map<string, Buffer>();
    perform(actions, playlist, stored);

    expect(actions[0]).toEqual({ type: 'write', kind: 'init', uri: 'init.mp4', bytes: init.bytes });
    const segments = segmentsOf(actions);
    expect(segments.map((s) => [s.uri, s.duration, s.programDateTime, s.mapUri, s.discontinuity])).toEqual([
      ['seg0.m4s', 1, T0, 'init.mp4', false],
      ['seg1.m4s', 1, T0 + 1000, 'init.mp4', false],
      ['seg2.m4s', 1, T0 + 2000, 'init.mp4', false],
    ]);
    const parts = partsOf(actions);
    expect(parts).toHaveLength(15);
    parts.forEach((p, i) => {
      expect(p.uri).toBe(`part${Math.floor(i / 5)}.${i % 5}.m4s`);
      expect(p.duration).toBeCloseTo(0.2, 9);
      expect(p.independent).toBe(i % 5 === 0);
      expect(p.programDateTime).toBeCloseTo(T0 + i * 200, 6);
      expect(stored.get(p.uri)!.equals(fragments[i]!.bytes)).toBe(true);
    });
    for (const s of segments) {
      const own = parts.filter((p) => p.msn === s.msn).map((p) => stored.get(p.uri)!);
      expect(stored.get(s.uri)!.equals(Buffer.concat(own))).toBe(true);
    }

    const text = parsePlaylist(playlist.render());
    expect(text.ended).toBe(true);
    expect(text.tags.get('EXT-X-TARGETDURATION')).toBe('1');
    expect(text.segments.map((s) => s.uri)).toEqual(['seg0.m4s', 'seg1.m4s', 'seg2.m4s']);
  });
});

describe('Segmenter boundaries', () => {
  it('merges fragments into parts up to the part target, never across a segment boundary', () => {
    const actions = run(new Segmenter({ partTarget: 0.4, segmentTarget: 1 }), syntheticInit, regular(15, 200, 5));
    expect(partsOf(actions).map((p) => [p.uri, p.duration, p.independent])).toEqual(
      [0, 1, 2].flatMap((msn) => [
        [`part${msn}.0.m4s`, 0.4, true],
        [`part${msn}.1.m4s`, 0.4, false],
        [`part${msn}.2.m4s`, 0.2, false],
      ]),
    );
    expect(segmentsOf(actions).map((s) => s.duration)).toEqual([1, 1, 1]);
  });

  it('closes a segment at the first keyframe once it reached the segment target', () => {
    const actions = run(new Segmenter({ segmentTarget: 2, firstMsn: 40 }), syntheticInit, regular(15, 200, 5));
    expect(segmentsOf(actions).map((s) => [s.msn, s.duration])).toEqual([
      [40, 2],
      [41, 1],
    ]);
    // A segment still short of the target runs past keyframes: 1.5 s of 0.5 s GOPs with a 1.2 s target.
    const short = run(new Segmenter({ segmentTarget: 1.2 }), syntheticInit, regular(12, 250, 2));
    expect(segmentsOf(short).map((s) => s.duration)).toEqual([1.5, 1.5]);
  });

  it('starts a new timeline after an encoder restart: new init URI, discontinuity, the open segment closed early', () => {
    const segmenter = new Segmenter();
    const playlist = new MediaPlaylist({ targetDuration: 1, partTarget: 0.2 });
    const stored = new Map<string, Buffer>();
    const first = [...segmenter.init(syntheticInit, T0), ...regular(7, 200, 5).flatMap((f) => segmenter.fragment(f))];
    const restart = segmenter.init({ ...syntheticInit, bytes: Buffer.from('init again') }, T0 + 60_000);
    const second = [...regular(5, 200, 5, 100).flatMap((f) => segmenter.fragment(f)), ...segmenter.finish()];
    const all = [...first, ...restart, ...second];
    perform(all, playlist, stored);

    expect(segmentsOf(all).map((s) => [s.msn, s.duration, s.discontinuity, s.mapUri, s.programDateTime])).toEqual([
      [0, 1, false, 'init.mp4', T0],
      [1, 0.4, false, 'init.mp4', T0 + 1000],
      [2, 1, true, 'init1.mp4', T0 + 60_000],
    ]);
    expect(restart).toContainEqual({ type: 'write', kind: 'init', uri: 'init1.mp4', bytes: Buffer.from('init again') });
    const text = parsePlaylist(playlist.render());
    expect(text.segments[2]).toMatchObject({ discontinuity: true, map: 'init1.mp4', uri: 'seg2.m4s' });
  });

  it('times a fragment without the video track by its longest track, and drops empty ones', () => {
    const segmenter = new Segmenter();
    segmenter.init(syntheticInit, T0);
    segmenter.fragment(fragment(0, 0, 200, true));
    const audioOnly: Fragment = {
      kind: 'fragment',
      bytes: Buffer.from('[audio]'),
      sequenceNumber: 1,
      tracks: [{ trackId: 2, handler: 'soun', timescale: 48000, baseMediaDecodeTime: 9600, sampleCount: 3, duration: 3072, startsWithKeyframe: true }],
    };
    expect(segmenter.fragment({ ...audioOnly, tracks: [] })).toEqual([]);
    expect(segmenter.fragment(audioOnly)).toEqual([]); // 64 ms: held for the next fragment
    const last = partsOf(segmenter.finish());
    expect(last.map((p) => [p.uri, p.duration, p.independent, p.programDateTime])).toEqual([['part0.1.m4s', 0.064, false, T0 + 200]]);
  });

  it('refuses misuse', () => {
    expect(() => new Segmenter({ partTarget: 2, segmentTarget: 1 })).toThrow(LlHlsError);
    const segmenter = new Segmenter();
    expect(() => segmenter.fragment(fragment(0, 0, 200, true))).toThrow(LlHlsError);
    segmenter.finish();
    expect(() => segmenter.init(syntheticInit, T0)).toThrow(LlHlsError);
  });

  it('keeps every byte, closes only at keyframes past the target, and always feeds the playlist in order', () => {
    const stream = fc.record({
      partTarget: fc.double({ min: 0.05, max: 1, noNaN: true }),
      extra: fc.double({ min: 0, max: 2, noNaN: true }),
      fragments: fc.array(fc.tuple(fc.integer({ min: 1, max: 400 }), fc.boolean()), { minLength: 1, maxLength: 60 }),
    });
    fc.assert(
      fc.property(stream, ({ partTarget, extra, fragments: spec }) => {
        const segmentTarget = partTarget + extra;
        let at = 0;
        const fragments = spec.map(([ticks, key], i) => {
          const f = fragment(i, at, ticks, key);
          at += ticks;
          return f;
        });
        const actions = run(new Segmenter({ partTarget, segmentTarget }), syntheticInit, fragments);
        const stored = new Map<string, Buffer>();
        perform(actions, new MediaPlaylist({ targetDuration: 1, partTarget: 0.05 }), stored);

        const segments = segmentsOf(actions);
        const allSegmentBytes = Buffer.concat(segments.map((s) => stored.get(s.uri)!));
        expect(allSegmentBytes.equals(Buffer.concat(fragments.map((f) => f.bytes)))).toBe(true);
        const parts = partsOf(actions);
        expect(Buffer.concat(parts.map((p) => stored.get(p.uri)!)).equals(allSegmentBytes)).toBe(true);

        // Which fragment starts each segment, from where its bytes begin.
        let offset = 0;
        const firstFragment = segments.map((s) => {
          const index = fragments.findIndex((_, i) => Buffer.concat(fragments.slice(0, i).map((f) => f.bytes)).length === offset);
          offset += stored.get(s.uri)!.length;
          return index;
        });
        segments.forEach((s, i) => {
          const sum = parts.filter((p) => p.msn === s.msn).reduce((n, p) => n + p.duration, 0);
          expect(sum).toBeCloseTo(s.duration, 9);
          if (i > 0) expect(fragments[firstFragment[i]!]!.tracks[0]!.startsWithKeyframe).toBe(true);
          if (i < segments.length - 1) expect(s.duration).toBeGreaterThanOrEqual(segmentTarget - 1e-9);
          expect(parts.find((p) => p.msn === s.msn && p.index === 0)!.independent).toBe(fragments[firstFragment[i]!]!.tracks[0]!.startsWithKeyframe);
        });
      }),
      { numRuns: 300 },
    );
  });
});
