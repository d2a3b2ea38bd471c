// Real ffmpeg → FragmentReader (fed as the pipe delivers) → Segmenter → files on disk, read back by ffprobe/ffmpeg.
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FragmentReader } from '../../../pipeline/fmp4/fragment-reader.js';
import { FMP4_OUTPUT } from '../../../pipeline/ingest/ffmpeg-args.js';
import { cadenceOf } from '../../../pipeline/llhls/cadence.js';
import { MediaPlaylist } from '../../../pipeline/llhls/media-playlist.js';
import type { Segment } from '../../../pipeline/llhls/segment.js';
import { Segmenter, type SegmenterAction } from '../../../pipeline/llhls/segmenter.js';
import { renderVodPlaylist } from '../../../pipeline/llhls/vod-playlist.js';
import { assertConforming } from '../../helpers/llhls-conformance.js';
import { tempDir } from '../../helpers/temp-dir.js';

const run = promisify(execFile);
const SECONDS = 3;
const CADENCE = cadenceOf();

/** Packages `SECONDS` of live-encoded test pattern into `dir`; returns the closed segments. */
async function packageLive(dir: string, playlist: MediaPlaylist): Promise<Segment[]> {
  const ffmpeg = spawn(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error'],
      ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
      ...['-t', String(SECONDS), '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency'],
      ...['-g', '30', '-keyint_min', '30', '-sc_threshold', '0', '-c:a', 'aac'],
      ...FMP4_OUTPUT,
      'pipe:1',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<number | null>((resolve) => ffmpeg.on('close', resolve));
  const reader = new FragmentReader();
  const segmenter = new Segmenter({ cadence: CADENCE });
  const segments: Segment[] = [];
  const perform = (actions: SegmenterAction[]) => {
    for (const action of actions) {
      if (action.type === 'write') writeFileSync(path.join(dir, action.uri), action.bytes);
      else if (action.type === 'publish') {
        playlist.apply(action.update);
        if (action.update.kind === 'segment') segments.push(action.update.segment);
      }
    }
  };
  for await (const chunk of ffmpeg.stdout as AsyncIterable<Buffer>) {
    for (const item of reader.push(chunk)) {
      perform(item.kind === 'init' ? segmenter.init(item, Date.UTC(2024, 0, 1)) : segmenter.fragment(item));
    }
  }
  reader.end();
  perform(segmenter.finish());
  expect(await exited).toBe(0);
  return segments;
}

async function probe(playlistPath: string): Promise<{ duration: number; streams: { codec_name: string; nb_read_frames?: string }[] }> {
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-count_frames'],
    ...['-show_entries', 'format=duration:stream=codec_name,nb_read_frames', '-of', 'json', playlistPath],
  ]);
  const parsed = JSON.parse(stdout) as { format: { duration: string }; streams: { codec_name: string; nb_read_frames?: string }[] };
  return { duration: Number(parsed.format.duration), streams: parsed.streams };
}

describe('packaging real ffmpeg output', () => {
  it('writes init, segments and playlists that ffprobe and ffmpeg read back whole', async () => {
    const dir = tempDir('levelchat-packager-');
    const playlist = new MediaPlaylist({ targetDuration: CADENCE.targetDuration, partTarget: CADENCE.partTarget });
    const segments = await packageLive(dir, playlist);
    expect(segments.map((s) => s.uri)).toEqual(['seg0.m4s', 'seg1.m4s', 'seg2.m4s']);
    writeFileSync(path.join(dir, 'vod.m3u8'), renderVodPlaylist(segments));
    writeFileSync(path.join(dir, 'live.m3u8'), playlist.render()); // ended: parts, ENDLIST
    assertConforming(playlist.render(), { targetDuration: CADENCE.targetDuration, partTarget: CADENCE.partTarget, keyedSegments: true });

    for (const name of ['vod.m3u8', 'live.m3u8']) {
      const { duration, streams } = await probe(path.join(dir, name));
      expect(Math.abs(duration - SECONDS), name).toBeLessThanOrEqual(0.5);
      expect(streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
      expect(streams.find((s) => s.codec_name === 'h264')?.nb_read_frames).toBe(String(SECONDS * 30));
    }
    // A full decode of every segment, through the HLS demuxer, without a single error line.
    const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', path.join(dir, 'vod.m3u8'), '-f', 'null', '-']);
    expect(stderr).toBe('');
  });
});
