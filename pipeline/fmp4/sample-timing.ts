import { childBoxes, Cursor, readBoxHeader, requireBox } from './boxes.js';
import { Fmp4Error } from './errors.js';

const TFHD_BASE_DATA_OFFSET = 0x1;
const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x2;
const TFHD_DEFAULT_DURATION = 0x8;

const TRUN_DATA_OFFSET = 0x1;
const TRUN_FIRST_SAMPLE_FLAGS = 0x4;
const TRUN_PER_SAMPLE_FIELDS = [0x100, 0x200, 0x400, 0x800];
const TRUN_SAMPLE_DURATION = 0x100;

/** The traf of `trackId` in `fragment` (moof first, then its mdat), undefined when it has none. */
function trafOf(fragment: Buffer, trackId: number): { payload: number; end: number } | undefined {
  const header = readBoxHeader(fragment, 0);
  if (!header || header.type !== 'moof' || header.size > fragment.length) throw new Fmp4Error('fragment: expected a whole moof first');
  for (const traf of childBoxes(fragment, header.headerSize, header.size, 'moof').filter((b) => b.type === 'traf')) {
    const tfhd = Cursor.of(fragment, requireBox(childBoxes(fragment, traf.payload, traf.end, 'traf'), 'tfhd', 'traf'), 'tfhd');
    tfhd.fullBox();
    if (tfhd.u32() === trackId) return traf;
  }
  return undefined;
}

/** Where a traf keeps the duration of its last sample: a trun entry, or tfhd's default for a one-sample traf. */
function lastDurationOffset(buf: Buffer, traf: { payload: number; end: number }, trackId: number): number {
  const boxes = childBoxes(buf, traf.payload, traf.end, 'traf');
  const tfhd = Cursor.of(buf, requireBox(boxes, 'tfhd', 'traf'), 'tfhd');
  const tfhdFlags = tfhd.fullBox().flags;
  tfhd.skip(4); // track_ID
  if (tfhdFlags & TFHD_BASE_DATA_OFFSET) tfhd.skip(8);
  if (tfhdFlags & TFHD_SAMPLE_DESCRIPTION_INDEX) tfhd.skip(4);
  const defaultDuration = tfhdFlags & TFHD_DEFAULT_DURATION ? tfhd.position : undefined;

  let samples = 0;
  let last: { entries: number; entrySize: number; count: number; perSample: boolean } | undefined;
  for (const trun of boxes.filter((b) => b.type === 'trun')) {
    const c = Cursor.of(buf, trun, 'trun');
    const { flags } = c.fullBox();
    const count = c.u32();
    if (flags & TRUN_DATA_OFFSET) c.skip(4);
    if (flags & TRUN_FIRST_SAMPLE_FLAGS) c.skip(4);
    const entrySize = TRUN_PER_SAMPLE_FIELDS.filter((f) => flags & f).length * 4;
    if (count * entrySize > c.remaining) throw new Fmp4Error(`trun: ${count} samples do not fit in the box`);
    samples += count;
    if (count > 0) last = { entries: c.position, entrySize, count, perSample: (flags & TRUN_SAMPLE_DURATION) !== 0 };
  }
  if (!last) throw new Fmp4Error(`traf of track ${trackId} has no samples`);
  // The duration is the first per-sample field of an entry.
  if (last.perSample) return last.entries + (last.count - 1) * last.entrySize;
  if (samples === 1 && defaultDuration !== undefined) return defaultDuration;
  throw new Fmp4Error(`track ${trackId}: the last sample's duration is shared with other samples and cannot be set alone`);
}

/**
 * Sets, in place, the duration of the last sample of `trackId` in `fragment` (moof first, then its
 * mdat). A fragment's last sample lasts until the next sample of its track, which the muxer may not
 * have seen when it wrote the fragment (it then guesses, or writes 0); the packager learns it from
 * the next fragment's decode time and writes it here, so every frame lasts until the next one and no
 * player sees a hole or an overlap.
 */
export function setLastSampleDuration(fragment: Buffer, trackId: number, ticks: number): void {
  if (!Number.isInteger(ticks) || ticks < 0 || ticks > 0xffffffff) throw new Fmp4Error(`sample duration ${ticks} does not fit 32 bits`);
  const traf = trafOf(fragment, trackId);
  if (!traf) throw new Fmp4Error(`fragment has no samples of track ${trackId}`);
  fragment.writeUInt32BE(ticks, lastDurationOffset(fragment, traf, trackId));
}

/**
 * Sets, in place, the decode time (tfdt) of `trackId`'s samples in `fragment`: the packager starts a
 * frame where the one before ended when that one could not last until it (a part is at most
 * PART-TARGET long, a frozen publisher's frame may not be), so the track has no hole.
 */
export function setDecodeTime(fragment: Buffer, trackId: number, ticks: number): void {
  const traf = trafOf(fragment, trackId);
  if (!traf) throw new Fmp4Error(`fragment has no samples of track ${trackId}`);
  const tfdt = Cursor.of(fragment, requireBox(childBoxes(fragment, traf.payload, traf.end, 'traf'), 'tfdt', 'traf'), 'tfdt');
  const { version } = tfdt.fullBox();
  if (!Number.isSafeInteger(ticks) || ticks < 0 || (version === 0 && ticks > 0xffffffff)) throw new Fmp4Error(`decode time ${ticks} does not fit the tfdt`);
  if (version === 0) fragment.writeUInt32BE(ticks, tfdt.position);
  else fragment.writeBigUInt64BE(BigInt(ticks), tfdt.position);
}
