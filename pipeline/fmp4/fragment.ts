import { childBoxes, Cursor, requireBox, type Box } from './boxes.js';
import { Fmp4Error } from './errors.js';
import type { SampleDefaults, TrackInfo } from './init-segment.js';

/** What one traf says about its track's samples in this fragment. */
export interface TrackFragment {
  trackId: number;
  handler: string;
  timescale: number;
  /** tfdt: decode time of the first sample, in `timescale` ticks. */
  baseMediaDecodeTime: number;
  sampleCount: number;
  /** Sum of the sample durations, in `timescale` ticks. */
  duration: number;
  /** The first sample is a sync sample (a keyframe for video). */
  startsWithKeyframe: boolean;
}

export interface Fragment {
  kind: 'fragment';
  /** moof + mdat (and anything between them, so trun data offsets stay valid). */
  bytes: Buffer;
  /** mfhd sequence number. */
  sequenceNumber: number;
  tracks: TrackFragment[];
}

/**
 * ISO/IEC 14496-12 sample flags: bits 24–25 sample_depends_on (1 = depends on others, 2 = does not),
 * bit 16 sample_is_non_sync_sample. A sample is a keyframe when it is not flagged non-sync and not
 * flagged as depending on other samples.
 */
export function isSyncSample(flags: number): boolean {
  const dependsOn = (flags >>> 24) & 0x3;
  const nonSync = (flags >>> 16) & 0x1;
  return nonSync === 0 && dependsOn !== 1;
}

const TFHD_BASE_DATA_OFFSET = 0x1;
const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x2;
const TFHD_DEFAULT_DURATION = 0x8;
const TFHD_DEFAULT_SIZE = 0x10;
const TFHD_DEFAULT_FLAGS = 0x20;

const TRUN_DATA_OFFSET = 0x1;
const TRUN_FIRST_SAMPLE_FLAGS = 0x4;
const TRUN_SAMPLE_DURATION = 0x100;
const TRUN_SAMPLE_SIZE = 0x200;
const TRUN_SAMPLE_FLAGS = 0x400;
const TRUN_SAMPLE_CTO = 0x800;

interface Tfhd {
  track: TrackInfo;
  defaults: SampleDefaults;
}

function parseTfhd(buf: Uint8Array, tfhd: Box, tracks: readonly TrackInfo[]): Tfhd {
  const c = Cursor.of(buf, tfhd, 'tfhd');
  const { flags } = c.fullBox();
  const id = c.u32();
  const track = tracks.find((t) => t.trackId === id);
  if (!track) throw new Fmp4Error(`tfhd: track ${id} is not in the init segment`);
  if (flags & TFHD_BASE_DATA_OFFSET) c.skip(8);
  if (flags & TFHD_SAMPLE_DESCRIPTION_INDEX) c.skip(4);
  const duration = flags & TFHD_DEFAULT_DURATION ? c.u32() : track.defaults.duration;
  if (flags & TFHD_DEFAULT_SIZE) c.skip(4);
  const sampleFlags = flags & TFHD_DEFAULT_FLAGS ? c.u32() : track.defaults.flags;
  return { track, defaults: { duration, flags: sampleFlags } };
}

function parseTfdt(buf: Uint8Array, tfdt: Box): number {
  const c = Cursor.of(buf, tfdt, 'tfdt');
  return c.fullBox().version === 1 ? c.u64() : c.u32();
}

interface Trun {
  sampleCount: number;
  duration: number;
  firstSampleFlags: number;
}

function parseTrun(buf: Uint8Array, trun: Box, defaults: SampleDefaults): Trun {
  const c = Cursor.of(buf, trun, 'trun');
  const { flags } = c.fullBox();
  const sampleCount = c.u32();
  if (flags & TRUN_DATA_OFFSET) c.skip(4);
  let firstSampleFlags = flags & TRUN_FIRST_SAMPLE_FLAGS ? c.u32() : defaults.flags;
  const perSample = [TRUN_SAMPLE_DURATION, TRUN_SAMPLE_SIZE, TRUN_SAMPLE_FLAGS, TRUN_SAMPLE_CTO].filter((f) => flags & f).length * 4;
  // Checked up front so a corrupt sample_count fails at once instead of looping billions of times.
  if (sampleCount * perSample > c.remaining) throw new Fmp4Error(`trun: ${sampleCount} samples do not fit in the box`);
  if (perSample === 0) return { sampleCount, duration: sampleCount * defaults.duration, firstSampleFlags };
  let duration = 0;
  for (let i = 0; i < sampleCount; i++) {
    duration += flags & TRUN_SAMPLE_DURATION ? c.u32() : defaults.duration;
    if (flags & TRUN_SAMPLE_SIZE) c.skip(4);
    if (flags & TRUN_SAMPLE_FLAGS) {
      const sampleFlags = c.u32();
      if (i === 0 && !(flags & TRUN_FIRST_SAMPLE_FLAGS)) firstSampleFlags = sampleFlags;
    }
    if (flags & TRUN_SAMPLE_CTO) c.skip(4);
  }
  return { sampleCount, duration, firstSampleFlags };
}

function parseTraf(buf: Uint8Array, traf: Box, tracks: readonly TrackInfo[]): TrackFragment {
  const boxes = childBoxes(buf, traf.payload, traf.end, 'traf');
  const { track, defaults } = parseTfhd(buf, requireBox(boxes, 'tfhd', 'traf'), tracks);
  const runs = boxes.filter((b) => b.type === 'trun').map((trun) => parseTrun(buf, trun, defaults));
  const first = runs.find((r) => r.sampleCount > 0);
  return {
    trackId: track.trackId,
    handler: track.handler,
    timescale: track.timescale,
    baseMediaDecodeTime: parseTfdt(buf, requireBox(boxes, 'tfdt', 'traf')),
    sampleCount: runs.reduce((n, r) => n + r.sampleCount, 0),
    duration: runs.reduce((n, r) => n + r.duration, 0),
    startsWithKeyframe: first !== undefined && isSyncSample(first.firstSampleFlags),
  };
}

/** Reads a moof box (given whole, header included) against the tracks of its init segment. */
export function parseMoof(moof: Uint8Array, tracks: readonly TrackInfo[]): Pick<Fragment, 'sequenceNumber' | 'tracks'> {
  const [box, ...rest] = childBoxes(moof, 0, moof.length, 'fragment');
  if (!box || rest.length > 0 || box.type !== 'moof') throw new Fmp4Error('fragment: expected exactly one moof box');
  const boxes = childBoxes(moof, box.payload, box.end, 'moof');
  const mfhd = Cursor.of(moof, requireBox(boxes, 'mfhd', 'moof'), 'mfhd');
  mfhd.fullBox();
  const sequenceNumber = mfhd.u32();
  const trafs = boxes.filter((b) => b.type === 'traf').map((traf) => parseTraf(moof, traf, tracks));
  if (trafs.length === 0) throw new Fmp4Error('moof: no traf');
  return { sequenceNumber, tracks: trafs };
}
