import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { childBoxes } from '../../../pipeline/fmp4/boxes.js';
import { parseMoof, type Fragment } from '../../../pipeline/fmp4/fragment.js';
import type { InitSegment, TrackInfo } from '../../../pipeline/fmp4/init-segment.js';
import { cadenceOf, type Cadence } from '../../../pipeline/llhls/cadence.js';
import { LlHlsError } from '../../../pipeline/llhls/errors.js';
import { MediaPlaylist, type PlaylistUpdate } from '../../../pipeline/llhls/media-playlist.js';
import type { Part, Segment } from '../../../pipeline/llhls/segment.js';
import { Segmenter, type SegmenterAction } from '../../../pipeline/llhls/segmenter.js';
import { llhlsViolations } from '../../helpers/llhls-conformance.js';
import { encodePerFrameMp4, readAll } from './ffmpeg-fixture.js';
import { buildFragment } from './fmp4-builder.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const CADENCE = cadenceOf(); // PART-TARGET 0.22 s, 1 s segments, TARGETDURATION 2
/** 90 kHz video: a 30 fps frame is 3000 ticks. */
const FRAME = 3000;

const TRACKS: TrackInfo[] = [
  { trackId: 1, handler: 'vide', timescale: 90000, sampleEntry: 'avc1', codec: 'avc1.42e01f', defaults: { duration: 0, flags: 0 } },
  { trackId: 2, handler: 'soun', timescale: 48000, sampleEntry: 'mp4a', codec: 'mp4a.40.2', defaults: { duration: 1024, flags: 0 } },
];
const INIT: InitSegment = { kind: 'init', bytes: Buffer.from('init'), tracks: TRACKS };

let sequence = 0;
/** One video frame alone in its fragment, its duration unknown (0): what the packager must fill in. */
const frame = (start: number, keyframe: boolean): Fragment => buildFragment(++sequence, [{ trackId: 1, baseMediaDecodeTime: start, durations: [0], keyframe }], TRACKS);
/** One AAC frame (1024 samples at 48 kHz) starting at `start` 90 kHz ticks. */
const audio = (start: number): Fragment =>
  buildFragment(++sequence, [{ trackId: 2, baseMediaDecodeTime: Math.round((start * 48000) / 90000), durations: [1024], keyframe: true }], TRACKS);

/** `count` frames from `from` ticks: `interval(i)` ticks apart, keyframes where `key(i)`, none where `dropped(i)`. */
function frames(count: number, key: (i: number) => boolean, options: { interval?: (i: number) => number; dropped?: (i: number) => boolean; from?: number } = {}): Fragment[] {
  const out: Fragment[] = [];
  let at = options.from ?? 0;
  for (let i = 0; i < count; i++) {
    if (!options.dropped?.(i)) out.push(frame(at, key(i)));
    at += options.interval?.(i) ?? FRAME;
  }
  return out;
}

interface Run {
  segmenter: Segmenter;
  playlist: MediaPlaylist;
  stored: Map<string, Buffer>;
  /** Every playlist a player could have loaded, in order. */
  states: string[];
  actions: SegmenterAction[];
  /** The preload hint of each state. */
  hints: string[];
}

function packager(cadence: Cadence = CADENCE, segmenter = new Segmenter({ cadence })): Run & { feed(actions: SegmenterAction[]): SegmenterAction[] } {
  const playlist = new MediaPlaylist({ targetDuration: cadence.targetDuration, partTarget: cadence.partTarget, windowSegments: 100 });
  const run: Run = { segmenter, playlist, stored: new Map(), states: [], actions: [], hints: [] };
  const feed = (actions: SegmenterAction[]) => {
    run.actions.push(...actions);
    let batch: PlaylistUpdate[] = [];
    const publish = () => {
      if (batch.length === 0) return;
      for (const update of batch) {
        const uri = update.kind === 'part' ? update.part.uri : update.kind === 'segment' ? update.segment.uri : update.kind === 'map' ? update.uri : undefined;
        if (uri !== undefined) expect(run.stored.has(uri), `${uri} stored before it is published`).toBe(true);
        playlist.apply(update);
      }
      batch = [];
      const text = playlist.render();
      run.states.push(text);
      const hint = /PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(text)?.[1];
      if (hint) run.hints.push(hint);
    };
    for (const action of actions) {
      if (action.type === 'write') {
        publish();
        run.stored.set(action.uri, action.bytes);
      } else if (action.type === 'publish') batch.push(action.update);
    }
    publish(); // what HlsPublisher does: consecutive updates are one state
    return actions;
  };
  return Object.assign(run, { feed });
}

function runAll(fragments: Fragment[], cadence: Cadence = CADENCE): Run {
  const p = packager(cadence);
  p.feed(p.segmenter.init(INIT, T0));
  for (const f of fragments) p.feed(p.segmenter.fragment(f));
  p.feed(p.segmenter.finish());
  return p;
}

const updates = (actions: SegmenterAction[]): PlaylistUpdate[] => actions.flatMap((a) => (a.type === 'publish' ? [a.update] : []));
const segmentsOf = (actions: SegmenterAction[]): Segment[] => updates(actions).flatMap((u) => (u.kind === 'segment' ? [u.segment] : []));
const partsOf = (actions: SegmenterAction[]): (Part & { msn: number; index: number })[] =>
  updates(actions).flatMap((u) => (u.kind === 'part' ? [{ ...u.part, msn: u.msn, index: u.index }] : []));
const round = (x: number) => Math.round(x * 1e5) / 1e5;

/** What every moof of `bytes` says of its tracks, as a player reads them. */
function tracksOf(bytes: Buffer, tracks: readonly TrackInfo[] = TRACKS) {
  return childBoxes(bytes, 0, bytes.length, 'part')
    .filter((b) => b.type === 'moof')
    .flatMap((b) => parseMoof(bytes.subarray(b.payload - 8, b.end), tracks).tracks);
}

/** Seconds of video `bytes` carries (its sample durations). */
const videoSeconds = (bytes: Buffer, tracks: readonly TrackInfo[] = TRACKS): number =>
  tracksOf(bytes, tracks).reduce((n, t) => n + (t.handler === 'vide' ? t.duration / t.timescale : 0), 0);

/**
 * Whether `output` holds exactly the fragments of `input`, each track's in the same order (the
 * packager may move another track's fragment after a frame that starts before it ends).
 */
function sameMedia(output: Buffer, input: readonly Fragment[]): boolean {
  const split = (bytes: Buffer) => {
    const boxes = childBoxes(bytes, 0, bytes.length, 'media');
    return boxes.flatMap((b, i) => (b.type === 'moof' ? [bytes.subarray(b.payload - 8, boxes[i + 1]!.end)] : []));
  };
  const byTrack = (fragments: Buffer[]) => {
    const tracks = new Map<string, string[]>();
    for (const f of fragments) {
      const ids = parseMoof(f.subarray(0, f.readUInt32BE(0)), TRACKS).tracks.map((t) => t.trackId).join('+');
      tracks.set(ids, [...(tracks.get(ids) ?? []), f.toString('hex')]);
    }
    return [...tracks.entries()].sort();
  };
  return JSON.stringify(byTrack(split(output))) === JSON.stringify(byTrack(input.map((f) => f.bytes)));
}

/** Every state a player could load conforms; `keyed`: and every segment starts with a keyframe. */
function expectConforming(run: Run, keyed = true): void {
  for (const text of run.states) {
    expect(llhlsViolations(text, { targetDuration: CADENCE.targetDuration, partTarget: CADENCE.partTarget, keyedSegments: keyed }), text).toEqual([]);
  }
}

describe('Segmenter on real ffmpeg output (as the ingest fragments it)', () => {
  let init: InitSegment;
  let fragments: Fragment[];
  beforeAll(() => {
    const items = readAll(encodePerFrameMp4(3));
    init = items[0] as InitSegment;
    fragments = items.slice(1) as Fragment[];
  });

  it('makes 1 s segments of 0.2 s parts, every frame lasting until the next', () => {
    const p = packager();
    p.feed(p.segmenter.init(init, T0));
    for (const f of fragments) p.feed(p.segmenter.fragment(f));
    p.feed(p.segmenter.finish());
    expectConforming(p);
    const segments = segmentsOf(p.actions);
    expect(segments.map((s) => [s.uri, s.mapUri, s.discontinuity])).toEqual([
      ['seg0.m4s', 'init.mp4', false],
      ['seg1.m4s', 'init.mp4', false],
      ['seg2.m4s', 'init.mp4', false],
    ]);
    // 1 s apart, give or take the AAC frame a keyframe waits for (below).
    for (const s of segments.slice(0, -1)) expect(Math.abs(s.duration - 1)).toBeLessThan(1024 / 48000);
    const parts = partsOf(p.actions);
    expect(parts).toHaveLength(15);
    parts.forEach((part, i) => {
      expect(part.uri).toBe(`part${i}.m4s`);
      expect(part.independent).toBe(i % 5 === 0);
      expect(videoSeconds(p.stored.get(part.uri)!, init.tracks)).toBeCloseTo(part.duration, 4);
      // A part a player starts at (a keyframe) has its audio from its first instant: no hole to skip.
      if (part.independent) {
        const starts = (handler: string) => tracksOf(p.stored.get(part.uri)!, init.tracks).filter((t) => t.handler === handler).map((t) => t.baseMediaDecodeTime / t.timescale);
        expect(Math.min(...starts('soun'))).toBeLessThanOrEqual(Math.min(...starts('vide')) + 1e-4);
      }
    });
    for (const s of segments) {
      const own = parts.filter((x) => x.msn === s.msn).map((x) => p.stored.get(x.uri)!);
      expect(p.stored.get(s.uri)!.equals(Buffer.concat(own))).toBe(true);
    }
    expect(Buffer.concat(segments.map((s) => p.stored.get(s.uri)!)).length).toBe(Buffer.concat(fragments.map((f) => f.bytes)).length);
  });
});

describe('Segmenter cadence', () => {
  it('cuts parts of whole frames within [0.85, 1] × PART-TARGET and segments on keyframes', () => {
    const run = runAll(frames(90, (i) => i % 30 === 0));
    expectConforming(run);
    const parts = partsOf(run.actions);
    expect(parts.map((x) => round(x.duration))).toEqual(Array(15).fill(0.2));
    expect(segmentsOf(run.actions).map((s) => round(s.duration))).toEqual([1, 1, 1]);
    // Each frame's duration was written into its sample: 6 frames of 1/30 s.
    expect(parts.slice(0, 14).map((x) => round(videoSeconds(run.stored.get(x.uri)!)))).toEqual(Array(14).fill(0.2));
    expect(run.segmenter.misses).toEqual({ unkeyedSegments: 0 });
  });

  it('absorbs timestamp jitter, and audio between frames rides along', () => {
    const jitter = (i: number) => FRAME + [0, 180, -90, 90, -180][i % 5]!;
    const withAudio = frames(120, (i) => i % 30 === 0, { interval: jitter }).flatMap((f) => [f, audio(f.tracks[0]!.baseMediaDecodeTime + 1000)]);
    const run = runAll(withAudio);
    expectConforming(run);
    expect(run.segmenter.misses.unkeyedSegments).toBe(0);
    const all = Buffer.concat(segmentsOf(run.actions).map((s) => run.stored.get(s.uri)!));
    expect(sameMedia(all, withAudio)).toBe(true);
  });

  it('a keyframe within half a part of the target starts a segment; an earlier one does not', () => {
    // Keyframes at 0.9 s (27 frames: in time) and then at 0.5 s into the next segment (too early).
    const keys = new Set([0, 27, 27 + 15, 27 + 30]);
    const run = runAll(frames(90, (i) => keys.has(i)));
    expectConforming(run);
    expect(segmentsOf(run.actions).map((s) => round(s.duration))).toEqual([0.9, 1, round(90 / 30 - 1.9)]);
    // The early keyframe starts no part of its own boundary: parts stay on their 6-frame grid.
    expect(partsOf(run.actions).filter((x) => x.msn === 1).map((x) => round(x.duration))).toEqual([0.2, 0.2, 0.2, 0.2, 0.2]);
  });

  it('cuts at TARGETDURATION when no keyframe comes (counted)', () => {
    const noKeys = runAll(frames(150, (i) => i === 0));
    expectConforming(noKeys, false);
    const durations = segmentsOf(noKeys.actions).map((s) => s.duration);
    expect(Math.max(...durations)).toBeLessThanOrEqual(CADENCE.targetDuration);
    expect(noKeys.segmenter.misses.unkeyedSegments).toBe(durations.length - 1);
  });

  it('ends a part exactly on PART-TARGET when the next frame would overshoot it and the part is short of 85%', () => {
    // Frames 66 ms apart from time to time: a part ends at 0.167 s or would run to 0.233 s. The frame
    // that would overshoot is made a few ms shorter, the next starts that much earlier.
    const run = runAll(frames(150, (i) => i % 30 === 0, { dropped: (i) => i % 7 === 5 }));
    expectConforming(run);
    expect(run.segmenter.misses.unkeyedSegments).toBe(0);
    expect(segmentsOf(run.actions).slice(0, -1).map((s) => round(s.duration))).toEqual([1, 1, 1, 1]);
  });

  it('keeps every part within PART-TARGET and the video without a hole when the publisher freezes', () => {
    // 0.4 s without a frame after frame 20 (audio goes on), then 30 fps again.
    const video = frames(60, (i) => i % 30 === 0, { interval: (i) => (i === 20 ? 12 * FRAME : FRAME) });
    const sound = Array.from({ length: 120 }, (_, i) => audio(i * 1920));
    const start = (f: Fragment) => f.tracks[0]!.baseMediaDecodeTime / f.tracks[0]!.timescale;
    const run = runAll([...video, ...sound].sort((a, b) => start(a) - start(b)));
    expectConforming(run, false);
    // Read back every frame: each starts where the one before ended, none lasts over PART-TARGET, and
    // the frames after the freeze are back on their own times within a few frames.
    const frameTimes = segmentsOf(run.actions).flatMap((s) => {
      const bytes = run.stored.get(s.uri)!;
      return childBoxes(bytes, 0, bytes.length, 'segment')
        .filter((b) => b.type === 'moof')
        .flatMap((b) => parseMoof(bytes.subarray(b.payload - 8, b.end), TRACKS).tracks.filter((t) => t.handler === 'vide'));
    });
    frameTimes.slice(1).forEach((f, i) => expect(f.baseMediaDecodeTime).toBe(frameTimes[i]!.baseMediaDecodeTime + frameTimes[i]!.duration));
    expect(Math.max(...frameTimes.map((f) => f.duration))).toBeLessThanOrEqual(CADENCE.partTarget * 90000);
    // (a keyframe may wait for the next audio frame: 1920 ticks at most)
    const own = video.map((f) => f.tracks[0]!.baseMediaDecodeTime);
    frameTimes.slice(30).forEach((f, i) => expect(f.baseMediaDecodeTime - own[30 + i]!).toBeGreaterThanOrEqual(0));
    frameTimes.slice(30).forEach((f, i) => expect(f.baseMediaDecodeTime - own[30 + i]!).toBeLessThanOrEqual(1920));
  });

  it('asks for keyframes ahead of the segment target and learns how late they come', () => {
    const delay = 4; // the publisher's keyframe comes 4 frames after it is asked for
    const p = packager();
    p.feed(p.segmenter.init(INIT, T0));
    const keyAt = new Set([0]);
    let requests = 0;
    for (let i = 0; i < 30 * 20; i++) {
      const actions = p.feed(p.segmenter.fragment(frame(i * FRAME, keyAt.has(i))));
      if (actions.some((a) => a.type === 'keyframe')) {
        requests++;
        keyAt.add(i + 1 + delay); // the next frame out of ffmpeg is i + 1
      }
    }
    p.feed(p.segmenter.finish());
    expectConforming(p);
    const durations = segmentsOf(p.actions).map((s) => round(s.duration));
    expect(requests).toBe(durations.length - 1);
    // Once the lead is learnt, keyframes land within a frame of the 1 s cadence.
    for (const d of durations.slice(5, -1)) expect(Math.abs(d - 1)).toBeLessThanOrEqual(1 / 30 + 1e-6);
  });

  it('numbers parts across an encoder restart: every hint names a part that is then produced', () => {
    const p = packager();
    p.feed(p.segmenter.init(INIT, T0));
    for (const f of frames(40, (i) => i % 30 === 0)) p.feed(p.segmenter.fragment(f));
    const before = p.hints.at(-1)!;
    p.feed(p.segmenter.init({ ...INIT, bytes: Buffer.from('init again') }, T0 + 60_000));
    for (const f of frames(30, (i) => i === 0)) p.feed(p.segmenter.fragment(f));
    p.feed(p.segmenter.finish());
    expectConforming(p);
    const segments = segmentsOf(p.actions);
    expect(segments.map((s) => [s.msn, round(s.duration), s.discontinuity, s.mapUri, s.programDateTime])).toEqual([
      [0, 1, false, 'init.mp4', T0],
      [1, round(10 / 30), false, 'init.mp4', T0 + 1000],
      [2, 1, true, 'init1.mp4', T0 + 60_000],
    ]);
    // The hint before the restart names the part the restart flushed; parts go on from the next number.
    const produced = partsOf(p.actions).map((x) => x.uri);
    expect(produced.indexOf(before)).toBe(produced.length - 6);
    expect(partsOf(p.actions).find((x) => x.msn === 2)!.uri).toBe(produced[produced.length - 5]);
    for (const hint of p.hints.slice(0, -1)) expect(produced).toContain(hint); // the last: the stream ended
    // The restarted encoder's media time goes on where the first run's ended (40 frames).
    const afterRestart = partsOf(p.actions).find((x) => x.msn === 2)!;
    expect(tracksOf(p.stored.get(afterRestart.uri)!)[0]!.baseMediaDecodeTime).toBe(40 * FRAME);
  });

  it('continues a playlist from a position: a discontinuity, the next MSN, part and init section, the media time going on', () => {
    const segmenter = new Segmenter({ cadence: CADENCE, resume: { msn: 41, part: 207, initGeneration: 3, mediaEnd: 41.5 } });
    const actions = [...segmenter.init(INIT, T0), ...frames(30, (i) => i === 0).flatMap((f) => segmenter.fragment(f)), ...segmenter.handOver()];
    expect(actions[0]).toMatchObject({ type: 'write', kind: 'init', uri: 'init3.mp4' });
    expect(updates(actions)[0]).toEqual({ kind: 'map', uri: 'init3.mp4', discontinuity: true });
    expect(partsOf(actions)[0]).toMatchObject({ msn: 41, index: 0, uri: 'part207.m4s', independent: true, programDateTime: T0 });
    expect(segmentsOf(actions)).toMatchObject([{ msn: 41, discontinuity: true, mapUri: 'init3.mp4', programDateTime: T0 }]);
    expect(updates(actions).some((u) => u.kind === 'end')).toBe(false);
    // The encoder starts at 0 again; its media is moved to where the playlist's media ended.
    const first = actions.find((a) => a.type === 'write' && a.kind === 'part') as Extract<SegmenterAction, { type: 'write' }>;
    expect(tracksOf(first.bytes)[0]!.baseMediaDecodeTime).toBe(41.5 * 90000);
    expect(segmenter.position).toEqual({ msn: 42, part: 212, initGeneration: 4, mediaEnd: 42.5 });
  });

  it('keeps parts coming from the audio while the video stalls', () => {
    const video = frames(10, (i) => i === 0);
    const stalled = Array.from({ length: 47 }, (_, i) => audio(10 * FRAME + i * 1920)); // ~1 s of audio, no video
    const run = runAll([...video, ...stalled]);
    const parts = partsOf(run.actions);
    expect(parts.reduce((n, x) => n + x.duration, 0)).toBeGreaterThan(1);
    expect(parts.length).toBeGreaterThanOrEqual(5);
  });

  it('refuses misuse', () => {
    expect(() => cadenceOf(0.22, 0.3)).toThrow(LlHlsError);
    const segmenter = new Segmenter({ cadence: CADENCE });
    expect(() => segmenter.fragment(frame(0, true))).toThrow(LlHlsError);
    segmenter.finish();
    expect(() => segmenter.init(INIT, T0)).toThrow(LlHlsError);
  });

  it('keeps every byte and every rule for any frame timing', () => {
    const stream = fc.array(fc.record({ interval: fc.integer({ min: 1500, max: 6500 }), key: fc.boolean(), audio: fc.boolean() }), { minLength: 1, maxLength: 200 });
    fc.assert(
      fc.property(stream, (spec) => {
        let at = 0;
        const fragments = spec.flatMap(({ interval, key, audio: withAudio }, i) => {
          const f = [frame(at, i === 0 || (key && i % 9 === 0))];
          if (withAudio) f.push(audio(at + 10));
          at += interval;
          return f;
        });
        const run = runAll(fragments);
        expectConforming(run, false);
        const segments = segmentsOf(run.actions);
        const all = Buffer.concat(segments.map((s) => run.stored.get(s.uri)!));
        expect(sameMedia(all, fragments)).toBe(true);
        const parts = partsOf(run.actions);
        // Declared durations are the media's: every frame but the stream's last lasts until the next.
        parts.slice(0, -1).forEach((x) => expect(videoSeconds(run.stored.get(x.uri)!)).toBeCloseTo(x.duration, 6));
        const produced = new Set(parts.map((x) => x.uri));
        for (const hint of run.hints.slice(0, -1)) expect(produced.has(hint)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
