// Real fragmented MP4 exactly as the packager receives it: ffmpeg writing to a pipe.
import { execFileSync } from 'node:child_process';
import { FragmentReader, type Fmp4Item } from '../../../pipeline/fmp4/fragment-reader.js';
import { FMP4_OUTPUT } from '../../../pipeline/ingest/ffmpeg-args.js';

/** `seconds` of 320x240 30 fps H.264 (keyframe every second) + 48 kHz AAC, muxed by `output` to stdout. */
function encodeTestMedia(seconds: number, output: string[]): Buffer {
  return execFileSync(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error'],
      ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
      ...['-t', String(seconds)],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-g', '30', '-keyint_min', '30', '-sc_threshold', '0'],
      ...['-c:a', 'aac'],
      ...output,
      'pipe:1',
    ],
    { maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/** `seconds` of the test media, one fragment per 200 ms. */
export function encodeFragmentedMp4(seconds = 3): Buffer {
  return encodeTestMedia(seconds, ['-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof+cmaf', '-frag_duration', '200000']);
}

/** `seconds` of the same media as the ingest writes it: at most one sample per track in a fragment (FMP4_OUTPUT). */
export function encodePerFrameMp4(seconds = 3): Buffer {
  return encodeTestMedia(seconds, [...FMP4_OUTPUT]);
}

/** Deterministic PRNG (mulberry32) so chunkings are reproducible from a seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Feeds `bytes` to a fresh reader in chunks of 1..maxChunk bytes and declares the end. */
export function readAll(bytes: Uint8Array, seed = 1, maxChunk = 4096): Fmp4Item[] {
  const random = prng(seed);
  const reader = new FragmentReader();
  const items: Fmp4Item[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = 1 + Math.floor(random() * maxChunk);
    items.push(...reader.push(bytes.subarray(at, at + size)));
    at += size;
  }
  reader.end();
  return items;
}
