// Renditions stay aligned when an encoder run ends unevenly (issue 14, point 4): ffmpeg dies, and one
// output lost more of what it buffered than another, so one rendition is a segment short. The ladder
// realigns on the furthest rendition: the one behind gets an EXT-X-GAP segment (its parts GAP=YES),
// never a part or segment that does not exist, and every rendition goes on at the same media sequence
// number and media time after the discontinuity. Checked with a strict RFC 8216bis parser.
import { describe, expect, it } from 'vitest';
import type { Fragment } from '../../../pipeline/fmp4/fragment.js';
import type { InitSegment, TrackInfo } from '../../../pipeline/fmp4/init-segment.js';
import { cadenceOf } from '../../../pipeline/llhls/cadence.js';
import { MediaPlaylist } from '../../../pipeline/llhls/media-playlist.js';
import { Segmenter, type SegmenterAction } from '../../../pipeline/llhls/segmenter.js';
import { continuationSchema } from '../../../pipeline/publish/playlist-continuation.js';
import { namedUris } from '../../../pipeline/publish/playlist-uris.js';
import { llhlsViolations } from '../../helpers/llhls-conformance.js';
import { buildFragment } from './fmp4-builder.js';
import { parsePlaylist } from './m3u8.js';

const CADENCE = cadenceOf(); // PART-TARGET 0.22 s, 1 s segments, TARGETDURATION 2
const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const FRAME = 3000; // 30 fps at 90 kHz
const TRACKS: TrackInfo[] = [{ trackId: 1, handler: 'vide', timescale: 90000, sampleEntry: 'avc1', codec: 'avc1.42e01f', defaults: { duration: 0, flags: 0 } }];
const INIT: InitSegment = { kind: 'init', bytes: Buffer.from('init'), tracks: TRACKS };
const RULES = { targetDuration: CADENCE.targetDuration, partTarget: CADENCE.partTarget, keyedSegments: true };

let sequence = 0;
/** `count` frames of one encoder run (a keyframe every second), as ffmpeg hands them over. */
const frames = (count: number): Fragment[] =>
  Array.from({ length: count }, (_v, i) => buildFragment(++sequence, [{ trackId: 1, baseMediaDecodeTime: i * FRAME, durations: [0], keyframe: i % 30 === 0 }], TRACKS));

/** One rendition: its Segmenter's actions carried out in order (objects stored, then the updates applied). */
function rendition() {
  const segmenter = new Segmenter({ cadence: CADENCE });
  const playlist = new MediaPlaylist({ targetDuration: CADENCE.targetDuration, partTarget: CADENCE.partTarget, windowSegments: 100 });
  const stored = new Set<string>();
  const feed = (actions: SegmenterAction[]) => {
    for (const a of actions) {
      if (a.type === 'write') stored.add(a.uri);
      else if (a.type === 'publish') playlist.apply(a.update);
    }
  };
  return { segmenter, playlist, stored, feed };
}

/** A ladder of two renditions through one encoder run in which `lagging` got only `got` of the `sent` frames. */
function unevenRun(sent: number, got: number) {
  const ahead = rendition();
  const lagging = rendition();
  for (const r of [ahead, lagging]) r.feed(r.segmenter.init(INIT, T0));
  const run = frames(sent);
  for (const f of run) ahead.feed(ahead.segmenter.fragment(f));
  for (const f of run.slice(0, got)) lagging.feed(lagging.segmenter.fragment(f));
  // ffmpeg exited (its output all read): what BroadcastPipeline does then.
  const positions = [ahead, lagging].map((r) => (r.feed(r.segmenter.endRun()), r.segmenter.position));
  const to = { msn: Math.max(...positions.map((p) => p.msn)), mediaEnd: Math.max(...positions.map((p) => p.mediaEnd)) };
  for (const r of [ahead, lagging]) r.feed(r.segmenter.realign(to));
  return { ahead, lagging, positions };
}

/** Every object a playlist names that is not a gap's: each must have been stored. */
const namedMedia = (text: string): string[] => {
  const gaps = new Set<string>();
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.includes('GAP=YES')) gaps.add(/URI="([^"]+)"/.exec(line)![1]!);
    if (line === '#EXT-X-GAP') gaps.add(lines.slice(i).find((l) => l && !l.startsWith('#'))!);
  });
  return namedUris(text).filter((uri) => !gaps.has(uri));
};

describe('renditions realigned after an uneven encoder run', () => {
  it('gives the rendition behind an EXT-X-GAP segment, so both go on at the same MSN and media time', () => {
    // 3.5 s sent; the lagging output lost its last 17 frames, the keyframe of the fourth segment among them.
    const { ahead, lagging, positions } = unevenRun(105, 88);
    expect(positions[0]!.msn).toBe(positions[1]!.msn + 1);
    expect(ahead.segmenter.position).toMatchObject({ msn: 4 });
    const { msn, mediaEnd } = ahead.segmenter.position;
    expect(lagging.segmenter.position).toMatchObject({ msn, mediaEnd });

    const text = lagging.playlist.render();
    const gap = lagging.playlist.closedSegments.at(-1)!;
    expect(gap).toMatchObject({ msn: 3, gap: true, parts: [] });
    expect(text).toContain('#EXT-X-GAP\n');
    expect(text).toMatch(/#EXT-X-PART:DURATION=0\.220,URI="gap3\.0\.m4s",GAP=YES/);
    // The media it lacks (the 17 frames, from 2.933 s to 3.5 s), at least a part long.
    expect(gap.duration).toBeCloseTo((105 - 88) / 30, 3);
    for (const state of [text, lagging.playlist.render({ skip: true }), ahead.playlist.render()]) expect(llhlsViolations(state, RULES)).toEqual([]);
    // Nothing named that was not stored: the gap's segment and parts are marked, never fetched.
    for (const uri of namedMedia(text)) expect(lagging.stored.has(uri), uri).toBe(true);
    expect(lagging.stored.has('seg3.m4s')).toBe(false);
    // Blocking requests and rendition reports see the gap's parts like any others.
    expect(lagging.playlist.has(3, 2)).toBe(true);
    expect(lagging.playlist.renditionReport('x')).toEqual({ uri: 'x', lastMsn: 3, lastPart: 2 });
    // The preload hint still names the next numbered part: the gap's parts are outside the numbering.
    expect(text).toContain(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part${lagging.playlist.nextPartNumber}.m4s"`);
  });

  it('the next run starts both renditions with a discontinuity at the same MSN and media time', () => {
    const { ahead, lagging } = unevenRun(105, 88);
    const next = frames(45);
    for (const r of [ahead, lagging]) {
      r.feed(r.segmenter.init(INIT, T0 + 4000));
      for (const f of next) r.feed(r.segmenter.fragment(f));
      r.feed(r.segmenter.finish());
    }
    const tail = (r: typeof ahead) => r.playlist.closedSegments.filter((s) => s.msn >= 4).map((s) => ({ msn: s.msn, duration: s.duration, discontinuity: s.discontinuity }));
    expect(tail(lagging)).toEqual(tail(ahead));
    expect(tail(ahead)[0]).toMatchObject({ msn: 4, discontinuity: true });
    const parsed = [ahead, lagging].map((r) => parsePlaylist(r.playlist.render()));
    expect(parsed[1]!.segments.length).toBe(parsed[0]!.segments.length);
    for (const r of [ahead, lagging]) {
      expect(llhlsViolations(r.playlist.render(), RULES)).toEqual([]);
      for (const uri of namedMedia(r.playlist.render())) expect(r.stored.has(uri), uri).toBe(true);
    }
  });

  it('needs no gap when the run ended evenly, and a gap survives a hand-over to the next run', () => {
    const even = unevenRun(105, 105);
    expect(even.lagging.playlist.closedSegments.some((s) => s.gap)).toBe(false);
    expect(even.lagging.playlist.render()).toBe(even.ahead.playlist.render());

    const { lagging } = unevenRun(105, 88);
    const snapshot = continuationSchema.shape.renditions.element.shape.playlist.parse(JSON.parse(JSON.stringify(lagging.playlist.snapshot())));
    expect(MediaPlaylist.restore(snapshot, 100).render()).toBe(lagging.playlist.render());
  });

  it('refuses a gap inside an open segment or longer than EXT-X-TARGETDURATION', () => {
    const r = rendition();
    r.feed(r.segmenter.init(INIT, T0));
    for (const f of frames(20)) r.feed(r.segmenter.fragment(f));
    expect(() => r.segmenter.realign({ msn: 3, mediaEnd: 3 })).toThrow(/endRun/);
    const gap = { msn: r.playlist.closedSegments.length, uri: 'seg9.m4s', duration: 3, programDateTime: T0, discontinuity: false, mapUri: 'init.mp4', gap: true };
    expect(() => r.playlist.addGap(gap)).toThrow(/between segments|gap duration/);
  });
});
