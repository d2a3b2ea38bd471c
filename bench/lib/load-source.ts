// Where a fan-out bench's broadcast comes from (BENCH_SOURCE):
//   ffmpeg           a live ffmpeg encode per measured row (the default; what the benches always did)
//   replay           one ffmpeg recording made at the start, replayed for every row: same packets and
//                    pacing, without the encoder's CPU on the load generator's core
//   replay:<file>    a recording made beforehand (npm run build && node dist/bench/record-feed.js):
//                    no ffmpeg needed at all (bench/device/)
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FfmpegPublisher, type PublisherOptions, type PublisherTarget } from './ffmpeg-publisher.js';
import { recordFeed, type FeedKind } from './feed-recorder.js';
import { readRecording, writeRecording, type RecordingHeader } from './rtp-recording.js';
import { RtpReplay } from './rtp-replay.js';

/** What the benches need from a running source (FfmpegPublisher and RtpReplay both are). */
export interface LoadSource {
  readonly pid: number;
  readonly running: boolean;
  readonly lastError: string;
  stop(graceMs?: number): Promise<void>;
  kill(): void;
}

export type SourceSpec = { kind: 'ffmpeg' } | { kind: 'replay'; file: string | null };

export function sourceFromEnv(env: NodeJS.ProcessEnv = process.env): SourceSpec {
  const raw = env.BENCH_SOURCE || 'ffmpeg';
  if (raw === 'ffmpeg') return { kind: 'ffmpeg' };
  if (raw === 'replay') return { kind: 'replay', file: null };
  if (raw.startsWith('replay:')) {
    const file = raw.slice('replay:'.length);
    if (!existsSync(file)) throw new Error(`BENCH_SOURCE: ${file} does not exist`);
    return { kind: 'replay', file };
  }
  throw new Error(`BENCH_SOURCE=${raw}: use ffmpeg, replay or replay:<file>`);
}

/** A source ready to start once per measured row. */
export interface PreparedSource {
  describe: string;
  start(target: PublisherTarget, opts: PublisherOptions): Promise<LoadSource>;
  /** Removes a recording made for this run. */
  dispose(): void;
}

/**
 * Prepares the spec: for `replay` records `seconds` of the feed now (on the load generator's CPUs);
 * for a given file checks it is long enough.
 */
export async function prepareSource(spec: SourceSpec, feed: FeedKind, seconds: number, opts: Pick<PublisherOptions, 'videoKbps' | 'pinCpu' | 'nice'>, log: (m: string) => void): Promise<PreparedSource> {
  if (spec.kind === 'ffmpeg') {
    if (feed !== 'single') throw new Error('a simulcast feed is replayed (BENCH_SOURCE=replay or replay:<file>), ffmpeg sends each layer from its own port');
    return {
      describe: `live ffmpeg per row: libx264 veryfast zerolatency CBR ${opts.videoKbps} kb/s 640x360@30 -g 30 + Opus 64 kb/s, RTP pkt_size 1200`,
      start: async (target, o) => FfmpegPublisher.start(target, o),
      dispose: () => {},
    };
  }
  let file = spec.file;
  let tmp: string | null = null;
  let header: RecordingHeader;
  if (file === null) {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'levelchat-feed-'));
    file = path.join(tmp, `${feed}.rtp`);
    const rec = await recordFeed(feed, { seconds, videoKbps: opts.videoKbps, pinCpu: opts.pinCpu, nice: opts.nice ?? 0, log });
    const bytes = writeRecording(file, rec);
    log(`  recorded ${rec.packets.length} packets, ${(bytes / 2 ** 20).toFixed(1)} MiB`);
    header = rec.header;
  } else {
    header = readRecording(file).header;
  }
  // Recordings with clock rates loop seamlessly (rtp-replay-child.ts); older ones must cover a row.
  if (!header.clockRates && header.durationMs < seconds * 1000) throw new Error(`${file} holds ${header.durationMs / 1000} s; this run replays ${seconds} s per row`);
  if (feed === 'simulcast' && header.videoSsrcs.length < 2) throw new Error(`${file} is not a simulcast recording`);
  if (feed === 'single' && header.videoSsrcs.length !== 1) throw new Error(`${file} is a simulcast recording; this bench wants one video stream`);
  const recording = file;
  return {
    describe: `replay of ${recording} (${header.durationMs / 1000} s of ${header.description}, looped), same pacing, restarted per row`,
    start: (target, o) => RtpReplay.start(recording, target, { pinCpu: o.pinCpu, nice: o.nice ?? 0 }),
    dispose: () => {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    },
  };
}
