import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Fmp4Error } from '../../../pipeline/fmp4/errors.js';
import type { Fragment } from '../../../pipeline/fmp4/fragment.js';
import { FragmentReader, type Fmp4Item } from '../../../pipeline/fmp4/fragment-reader.js';
import type { InitSegment } from '../../../pipeline/fmp4/init-segment.js';
import { encodeFragmentedMp4, readAll } from './ffmpeg-fixture.js';

const box = (type: string, payload: Uint8Array = Buffer.alloc(0)): Buffer => {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + payload.length);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, payload]);
};

/** The same box with a 64-bit largesize header (size field 1). */
const box64 = (type: string, payload: Uint8Array = Buffer.alloc(0)): Buffer => {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(1);
  header.write(type, 4, 'latin1');
  header.writeBigUInt64BE(BigInt(16 + payload.length), 8);
  return Buffer.concat([header, payload]);
};

const fragments = (items: Fmp4Item[]): Fragment[] => items.filter((i): i is Fragment => i.kind === 'fragment');
const track = (f: Fragment, handler: string) => f.tracks.find((t) => t.handler === handler)!;
/** The stream without the mfra index ffmpeg appends at the end (a box the reader skips). */
const media = (): Buffer => stream.subarray(0, items.reduce((n, i) => n + i.bytes.length, 0));
const firstMoof = (): Buffer => {
  const bytes = fragments(items)[0]!.bytes;
  return bytes.subarray(0, bytes.readUInt32BE(0));
};

function expectFmp4Error(run: () => unknown): Fmp4Error {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(Fmp4Error);
    return err as Fmp4Error;
  }
  throw new Error('expected an Fmp4Error');
}

let stream: Buffer;
let items: Fmp4Item[];
let init: InitSegment;

beforeAll(() => {
  stream = encodeFragmentedMp4(3);
  items = readAll(stream, 7);
  init = items[0] as InitSegment;
});

describe('FragmentReader on real ffmpeg output', () => {
  it('yields the init segment first, with track info and codec strings', () => {
    expect(init.kind).toBe('init');
    expect(items.filter((i) => i.kind === 'init')).toHaveLength(1);
    expect(init.bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
    const [video, audio] = init.tracks;
    expect(video).toMatchObject({ trackId: 1, handler: 'vide', timescale: 15360, sampleEntry: 'avc1', codec: 'avc1.64000d', width: 320, height: 240 });
    expect(audio).toMatchObject({ trackId: 2, handler: 'soun', timescale: 48000, sampleEntry: 'mp4a', codec: 'mp4a.40.2' });
  });

  it('yields one fragment per 200 ms with monotonic, gapless decode times', () => {
    const frags = fragments(items);
    expect(frags).toHaveLength(15);
    for (const handler of ['vide', 'soun']) {
      const tracks = frags.map((f) => track(f, handler));
      expect(tracks[0]!.baseMediaDecodeTime).toBe(0);
      for (let i = 1; i < tracks.length; i++) {
        expect(tracks[i]!.baseMediaDecodeTime).toBe(tracks[i - 1]!.baseMediaDecodeTime + tracks[i - 1]!.duration);
      }
      const seconds = tracks.reduce((n, t) => n + t.duration / t.timescale, 0);
      expect(seconds).toBeGreaterThan(2.9);
      expect(seconds).toBeLessThan(3.1);
    }
    expect(frags.every((f) => track(f, 'vide').sampleCount === 6)).toBe(true);
    expect(frags.map((f) => f.sequenceNumber)).toEqual(frags.map((_, i) => i + 1));
  });

  it('flags a keyframe at the start of every fifth fragment (every second)', () => {
    const keyframes = fragments(items).flatMap((f, i) => (track(f, 'vide').startsWithKeyframe ? [i] : []));
    expect(keyframes).toEqual([0, 5, 10]);
    const keyTimes = fragments(items)
      .map((f) => track(f, 'vide'))
      .filter((t) => t.startsWithKeyframe)
      .map((t) => t.baseMediaDecodeTime / t.timescale);
    expect(keyTimes).toEqual([0, 1, 2]);
  });

  it('loses no byte: init + fragments concatenate back to the stream (up to the skipped mfra)', () => {
    expect(Buffer.concat(items.map((i) => i.bytes)).equals(media())).toBe(true);
    expect(stream.subarray(media().length + 4, media().length + 8).toString('latin1')).toBe('mfra');
  });

  it('gives the same items however the stream is chunked, down to single bytes', () => {
    const summary = (list: Fmp4Item[]) => list.map((i) => (i.kind === 'init' ? i.tracks : i.tracks));
    for (const [seed, maxChunk] of [
      [1, 1],
      [2, 7],
      [3, 100_000],
      [4, 65_536],
    ] as const) {
      const again = readAll(stream, seed, maxChunk);
      expect(summary(again)).toEqual(summary(items));
      expect(Buffer.concat(again.map((i) => i.bytes)).equals(media())).toBe(true);
    }
  });

  it('reads 64-bit box sizes and skips unknown top-level boxes (styp, sidx, free, uuid)', () => {
    const first = fragments(items)[0]!;
    const moofSize = first.bytes.readUInt32BE(0);
    const moof = first.bytes.subarray(0, moofSize);
    const mdat = first.bytes.subarray(moofSize);
    const uuid = Buffer.concat([Buffer.alloc(16, 0xab), Buffer.from('payload')]);
    const rewritten = Buffer.concat([
      init.bytes,
      box('styp', Buffer.from('cmf2\0\0\0\0')),
      box('sidx', Buffer.alloc(24)),
      box64('free', Buffer.alloc(5)),
      box('uuid', uuid),
      moof,
      box64('mdat', mdat.subarray(8)),
    ]);
    const out = readAll(rewritten, 5, 13);
    expect(out.map((i) => i.kind)).toEqual(['init', 'fragment']);
    const frag = out[1] as Fragment;
    expect(frag.tracks).toEqual(first.tracks);
    expect(frag.bytes.readUInt32BE(moofSize)).toBe(1); // the 64-bit mdat header is kept as is
    expect(frag.bytes.length).toBe(first.bytes.length + 8);
  });
});

describe('FragmentReader on malformed input', () => {
  it('waits for the rest of a truncated stream, then end() reports it', () => {
    const reader = new FragmentReader();
    const got = reader.push(media().subarray(0, media().length - 10));
    expect(fragments(got)).toHaveLength(14);
    expectFmp4Error(() => reader.end());
  });

  it('waits while a declared size is larger than what has arrived', () => {
    const reader = new FragmentReader();
    const header = Buffer.alloc(8);
    header.writeUInt32BE(1_000_000);
    header.write('free', 4, 'latin1');
    expect(reader.push(header)).toEqual([]);
    expect(reader.push(Buffer.alloc(1000))).toEqual([]);
    expect(expectFmp4Error(() => reader.end()).message).toMatch(/inside a box/);
  });

  it('rejects a moof whose mdat never comes', () => {
    const reader = new FragmentReader();
    reader.push(Buffer.concat([init.bytes, firstMoof()]));
    expect(expectFmp4Error(() => reader.end()).message).toMatch(/without its mdat/);
  });

  it.each([
    ['size 0', () => Buffer.from('00000000667265650000', 'hex')],
    ['a size smaller than the header', () => Buffer.from('0000000466726565', 'hex')],
    ['a 64-bit size below the header', () => Buffer.from('00000001667265650000000000000008', 'hex')],
    ['a 64-bit size beyond 2^53', () => Buffer.from('00000001667265651000000000000000', 'hex')],
    ['a size beyond the buffering limit', () => Buffer.from('ffffffff667265650000', 'hex')],
    ['garbage', () => Buffer.from('this is not an mp4 file at all, just text', 'latin1')],
    ['a moof before any moov', () => fragments(items)[0]!.bytes],
    ['an mdat without moof', () => Buffer.concat([init.bytes, box('mdat', Buffer.alloc(4))])],
    ['a moov between a moof and its mdat', () => Buffer.concat([init.bytes, firstMoof(), init.bytes])],
  ])('throws Fmp4Error on %s', (_name, input) => {
    expectFmp4Error(() => {
      const reader = new FragmentReader();
      reader.push(input());
      reader.end();
    });
  });

  it('rejects a trun whose sample count cannot fit, without looping over it', () => {
    const frag = Buffer.from(fragments(items)[1]!.bytes);
    const trun = frag.indexOf('trun', 0, 'latin1');
    frag.writeUInt32BE(0xffffffff, trun + 8); // sample_count, after the type and version/flags
    const started = performance.now();
    expect(expectFmp4Error(() => readAll(Buffer.concat([init.bytes, frag]))).message).toMatch(/trun/);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('rejects a child box that overruns its parent', () => {
    const bad = Buffer.from(init.bytes);
    const tkhd = bad.indexOf('tkhd', 0, 'latin1');
    bad.writeUInt32BE(0x7fff, tkhd - 4);
    expect(expectFmp4Error(() => readAll(bad)).message).toMatch(/overruns/);
  });

  it('rejects a fragment for a track the init segment does not declare', () => {
    const frag = Buffer.from(fragments(items)[0]!.bytes);
    const tfhd = frag.indexOf('tfhd', 0, 'latin1');
    frag.writeUInt32BE(99, tfhd + 8); // track_ID
    expect(expectFmp4Error(() => readAll(Buffer.concat([init.bytes, frag]))).message).toMatch(/track 99/);
  });

  it('never throws anything but Fmp4Error on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.integer({ min: 1, max: 64 }), (bytes, chunk) => {
        const reader = new FragmentReader({ maxBoxSize: 1 << 20 });
        try {
          for (let at = 0; at < bytes.length; at += chunk) reader.push(bytes.subarray(at, at + chunk));
          reader.end();
        } catch (err) {
          if (!(err instanceof Fmp4Error)) throw err;
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws anything but Fmp4Error on a corrupted real stream', () => {
    const [first, second] = fragments(items);
    const head = Buffer.concat([init.bytes, first!.bytes, second!.bytes]);
    // Corrupt the structure (ftyp, moov, moofs), not the opaque media bytes inside mdat.
    const moofSize = (f: Fragment) => f.bytes.readUInt32BE(0);
    const secondAt = init.bytes.length + first!.bytes.length;
    const structural = [
      ...Array.from({ length: init.bytes.length + moofSize(first!) }, (_, i) => i),
      ...Array.from({ length: moofSize(second!) }, (_, i) => secondAt + i),
    ];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...structural), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: head.length }),
        (edits, cut) => {
          const bytes = Buffer.from(head.subarray(0, cut));
          for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
          const reader = new FragmentReader({ maxBoxSize: 1 << 20 });
          try {
            reader.push(bytes);
            reader.end();
          } catch (err) {
            if (!(err instanceof Fmp4Error)) throw err;
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
