import { describe, expect, it } from 'vitest';
import { Fmp4Error } from '../../../pipeline/fmp4/errors.js';
import { parseMoof } from '../../../pipeline/fmp4/fragment.js';
import type { TrackInfo } from '../../../pipeline/fmp4/init-segment.js';
import { setDecodeTime, setLastSampleDuration } from '../../../pipeline/fmp4/sample-timing.js';
import { buildFragment } from './fmp4-builder.js';

const TRACKS: TrackInfo[] = [
  { trackId: 1, handler: 'vide', timescale: 90000, sampleEntry: 'avc1', codec: 'avc1.42e01f', defaults: { duration: 0, flags: 0 } },
  { trackId: 2, handler: 'soun', timescale: 48000, sampleEntry: 'mp4a', codec: 'mp4a.40.2', defaults: { duration: 1024, flags: 0 } },
];
const moofOf = (bytes: Buffer) => bytes.subarray(0, bytes.readUInt32BE(0));
const durations = (bytes: Buffer) => parseMoof(moofOf(bytes), TRACKS).tracks.map((t) => [t.trackId, t.duration]);

describe("setLastSampleDuration, setDecodeTime", () => {
  it("writes a one-sample run's duration into tfhd, leaving the other track alone", () => {
    const f = buildFragment(1, [{ trackId: 1, baseMediaDecodeTime: 0, durations: [0], keyframe: true }, { trackId: 2, baseMediaDecodeTime: 0, durations: [1024], keyframe: true }], TRACKS);
    setLastSampleDuration(f.bytes, 1, 3003);
    expect(durations(f.bytes)).toEqual([[1, 3003], [2, 1024]]);
  });

  it('writes the last entry of a run with per-sample durations', () => {
    const f = buildFragment(1, [{ trackId: 1, baseMediaDecodeTime: 0, durations: [3000, 3000, 0], keyframe: false }], TRACKS);
    setLastSampleDuration(f.bytes, 1, 2500);
    expect(durations(f.bytes)).toEqual([[1, 8500]]);
  });

  it("moves one track's decode time, leaving the other alone", () => {
    const f = buildFragment(1, [{ trackId: 1, baseMediaDecodeTime: 2 ** 33, durations: [3000], keyframe: true }, { trackId: 2, baseMediaDecodeTime: 480, durations: [1024], keyframe: true }], TRACKS);
    setDecodeTime(f.bytes, 1, 2 ** 33 - 1500);
    expect(parseMoof(moofOf(f.bytes), TRACKS).tracks.map((t) => [t.trackId, t.baseMediaDecodeTime])).toEqual([[1, 2 ** 33 - 1500], [2, 480]]);
  });

  it('refuses what it cannot write in place', () => {
    const f = buildFragment(1, [{ trackId: 2, baseMediaDecodeTime: 0, durations: [1024], keyframe: true }], TRACKS);
    expect(() => setLastSampleDuration(f.bytes, 1, 3000)).toThrow(Fmp4Error);
    expect(() => setLastSampleDuration(f.bytes, 2, -1)).toThrow(Fmp4Error);
    expect(() => setLastSampleDuration(Buffer.from('nope'), 2, 1)).toThrow(Fmp4Error);
  });
});
