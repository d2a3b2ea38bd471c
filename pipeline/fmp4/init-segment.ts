import { childBoxes, Cursor, findBox, requireBox, type Box } from './boxes.js';
import { avcCodec, mp4aCodec } from './codecs.js';
import { Fmp4Error } from './errors.js';

/** Per-sample values a fragment falls back to when its tfhd/trun leave them out (from mvex/trex). */
export interface SampleDefaults {
  duration: number;
  flags: number;
}

export interface TrackInfo {
  trackId: number;
  /** hdlr handler type: 'vide', 'soun', … */
  handler: string;
  /** Ticks per second of this track's media times. */
  timescale: number;
  /** Four-character code of the first sample entry: 'avc1', 'mp4a', 'Opus', … */
  sampleEntry: string;
  /** RFC 6381 codec string (avc1.42e01f, mp4a.40.2, opus), when we know how to derive it. */
  codec: string | undefined;
  /** Coded size from the visual sample entry. */
  width?: number;
  height?: number;
  defaults: SampleDefaults;
}

export interface InitSegment {
  kind: 'init';
  /** ftyp + moov, ready to store as the EXT-X-MAP resource. */
  bytes: Buffer;
  tracks: TrackInfo[];
}

/** Payload bytes of a VisualSampleEntry / AudioSampleEntry (SampleEntry fields included) before its child boxes. */
const VISUAL_ENTRY_FIELDS = 78;
const AUDIO_ENTRY_FIELDS = 28;
/** QuickTime sound description versions 1 and 2 append fields after the v0 layout. */
const QT_SOUND_EXTRA: Record<number, number> = { 0: 0, 1: 16, 2: 36 };

type SampleDescription = Pick<TrackInfo, 'sampleEntry' | 'codec' | 'width' | 'height'>;

function visualEntry(buf: Uint8Array, entry: Box): SampleDescription {
  const c = Cursor.of(buf, entry, entry.type);
  c.skip(8 + 16); // SampleEntry reserved + data_reference_index, pre_defined/reserved
  const width = c.u16();
  const height = c.u16();
  const children = childBoxes(buf, entry.payload + VISUAL_ENTRY_FIELDS, entry.end, entry.type);
  const avcC = findBox(children, 'avcC');
  const codec = avcC && (entry.type === 'avc1' || entry.type === 'avc3') ? avcCodec(entry.type, buf, avcC) : undefined;
  return { sampleEntry: entry.type, codec, width, height };
}

function audioEntry(buf: Uint8Array, entry: Box): SampleDescription {
  const c = Cursor.of(buf, entry, entry.type);
  c.skip(8); // SampleEntry reserved + data_reference_index
  // Channel count and rate here are often placeholders (ffmpeg writes 2 channels for mono AAC); only the layout matters.
  const version = c.u16();
  const extra = QT_SOUND_EXTRA[version];
  if (extra === undefined) throw new Fmp4Error(`${entry.type}: unknown sound entry version ${version}`);
  const children = childBoxes(buf, entry.payload + AUDIO_ENTRY_FIELDS + extra, entry.end, entry.type);
  const esds = findBox(children, 'esds');
  let codec: string | undefined;
  if (entry.type === 'mp4a' && esds) codec = mp4aCodec(buf, esds);
  else if (entry.type === 'Opus') codec = 'opus';
  return { sampleEntry: entry.type, codec };
}

function sampleDescription(buf: Uint8Array, stsd: Box, handler: string): SampleDescription {
  const c = Cursor.of(buf, stsd, 'stsd');
  c.fullBox();
  if (c.u32() < 1) throw new Fmp4Error('stsd: no sample entries');
  const [entry] = childBoxes(buf, c.position, stsd.end, 'stsd');
  if (!entry) throw new Fmp4Error('stsd: no sample entries');
  if (handler === 'vide') return visualEntry(buf, entry);
  if (handler === 'soun') return audioEntry(buf, entry);
  return { sampleEntry: entry.type, codec: undefined };
}

function trackId(buf: Uint8Array, tkhd: Box): number {
  const c = Cursor.of(buf, tkhd, 'tkhd');
  const { version } = c.fullBox();
  c.skip(version === 1 ? 16 : 8); // creation and modification times
  return c.u32();
}

function timescale(buf: Uint8Array, mdhd: Box): number {
  const c = Cursor.of(buf, mdhd, 'mdhd');
  const { version } = c.fullBox();
  c.skip(version === 1 ? 16 : 8);
  const value = c.u32();
  if (value === 0) throw new Fmp4Error('mdhd: timescale 0');
  return value;
}

function handlerType(buf: Uint8Array, hdlr: Box): string {
  const c = Cursor.of(buf, hdlr, 'hdlr');
  c.fullBox();
  c.skip(4); // pre_defined
  return c.fourcc();
}

function trackDefaults(buf: Uint8Array, moov: readonly Box[]): Map<number, SampleDefaults> {
  const defaults = new Map<number, SampleDefaults>();
  const mvex = findBox(moov, 'mvex');
  if (!mvex) return defaults;
  for (const trex of childBoxes(buf, mvex.payload, mvex.end, 'mvex').filter((b) => b.type === 'trex')) {
    const c = Cursor.of(buf, trex, 'trex');
    c.fullBox();
    const id = c.u32();
    c.skip(4); // default_sample_description_index
    const duration = c.u32();
    c.skip(4); // default_sample_size
    defaults.set(id, { duration, flags: c.u32() });
  }
  return defaults;
}

function parseTrak(buf: Uint8Array, trak: Box): Omit<TrackInfo, 'defaults'> {
  const boxes = childBoxes(buf, trak.payload, trak.end, 'trak');
  const mdia = requireBox(boxes, 'mdia', 'trak');
  const mdiaBoxes = childBoxes(buf, mdia.payload, mdia.end, 'mdia');
  const handler = handlerType(buf, requireBox(mdiaBoxes, 'hdlr', 'mdia'));
  const minf = requireBox(mdiaBoxes, 'minf', 'mdia');
  const stbl = requireBox(childBoxes(buf, minf.payload, minf.end, 'minf'), 'stbl', 'minf');
  const stsd = requireBox(childBoxes(buf, stbl.payload, stbl.end, 'stbl'), 'stsd', 'stbl');
  return {
    trackId: trackId(buf, requireBox(boxes, 'tkhd', 'trak')),
    handler,
    timescale: timescale(buf, requireBox(mdiaBoxes, 'mdhd', 'mdia')),
    ...sampleDescription(buf, stsd, handler),
  };
}

/** The tracks a moov box (given whole, header included) declares, with their trex fragment defaults. */
export function parseMoov(moov: Uint8Array): TrackInfo[] {
  const header = childBoxes(moov, 0, moov.length, 'init');
  const box = header[0];
  if (header.length !== 1 || box?.type !== 'moov') throw new Fmp4Error('init: expected exactly one moov box');
  const boxes = childBoxes(moov, box.payload, box.end, 'moov');
  const defaults = trackDefaults(moov, boxes);
  const tracks = boxes
    .filter((b) => b.type === 'trak')
    .map((trak) => {
      const info = parseTrak(moov, trak);
      return { ...info, defaults: defaults.get(info.trackId) ?? { duration: 0, flags: 0 } };
    });
  if (tracks.length === 0) throw new Fmp4Error('moov: no tracks');
  if (new Set(tracks.map((t) => t.trackId)).size !== tracks.length) throw new Fmp4Error('moov: duplicate track IDs');
  return tracks;
}
