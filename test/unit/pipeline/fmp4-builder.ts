// Minimal valid moof+mdat fragments for packager tests, so the packager's in-place writes (sample
// durations) act on real boxes and the result can be read back with parseMoof.
import type { Fragment } from '../../../pipeline/fmp4/fragment.js';
import { parseMoof } from '../../../pipeline/fmp4/fragment.js';
import type { TrackInfo } from '../../../pipeline/fmp4/init-segment.js';

export interface TrackRun {
  trackId: number;
  baseMediaDecodeTime: number;
  /** One entry per sample. */
  durations: number[];
  keyframe: boolean;
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const box = (type: string, ...payload: Buffer[]) => {
  const body = Buffer.concat(payload);
  return Buffer.concat([u32(8 + body.length), Buffer.from(type, 'latin1'), body]);
};
const fullBox = (type: string, version: number, flags: number, ...payload: Buffer[]) => box(type, u32((version << 24) | flags), ...payload);

const KEY_FLAGS = 0x02000000;
const DELTA_FLAGS = 0x01010000;
const SAMPLE_SIZE = 10;

/**
 * A fragment like ffmpeg's: tfhd with a default duration (the only duration of a one-sample run),
 * per-sample durations in trun when a run has several samples, 10-byte samples in the mdat.
 */
export function buildFragment(sequence: number, runs: readonly TrackRun[], tracks: readonly TrackInfo[]): Fragment {
  const trafs = runs.map((run) => {
    const single = run.durations.length === 1;
    const tfhd = fullBox('tfhd', 0, 0x20000 | 0x8 | 0x20, u32(run.trackId), u32(single ? run.durations[0]! : 0), u32(DELTA_FLAGS));
    const tfdt = fullBox('tfdt', 1, 0, u32(Math.floor(run.baseMediaDecodeTime / 2 ** 32)), u32(run.baseMediaDecodeTime));
    const entries = run.durations.flatMap((d) => (single ? [u32(SAMPLE_SIZE)] : [u32(d), u32(SAMPLE_SIZE)]));
    const trun = fullBox('trun', 0, 0x4 | 0x200 | (single ? 0 : 0x100), u32(run.durations.length), u32(run.keyframe ? KEY_FLAGS : DELTA_FLAGS), ...entries);
    return box('traf', tfhd, tfdt, trun);
  });
  const moof = box('moof', fullBox('mfhd', 0, 0, u32(sequence)), ...trafs);
  const samples = runs.reduce((n, r) => n + r.durations.length, 0);
  const mdat = box('mdat', Buffer.alloc(samples * SAMPLE_SIZE, sequence & 0xff));
  return { kind: 'fragment', bytes: Buffer.concat([moof, mdat]), ...parseMoof(moof, tracks) };
}
