// Records the fan-out benches' feed once into a file, for BENCH_SOURCE=replay:<file> on a machine
// without ffmpeg (bench/device/fanout-capacity.sh) or to replay the very same packets in every run.
//
//   npm run build && node dist/bench/record-feed.js <file> [single|simulcast]
//
// Env: BENCH_RECORD_SECONDS (40: enough for warm-up + window of the benches' defaults; a row replays
// from the start), BENCH_VIDEO_KBPS (1500, the single feed), BENCH_LOADGEN_CPUS (taskset for ffmpeg).
import { statSync } from 'node:fs';
import { envNumber } from './lib/env.js';
import { recordFeed, type FeedKind } from './lib/feed-recorder.js';
import { stampedLog } from './lib/log.js';
import { writeRecording } from './lib/rtp-recording.js';

const [file, kindArg = 'single'] = process.argv.slice(2);
if (!file || (kindArg !== 'single' && kindArg !== 'simulcast')) {
  console.error('usage: node dist/bench/record-feed.js <file> [single|simulcast]');
  process.exit(2);
}
const log = stampedLog('record-feed ', 5);
const rec = await recordFeed(kindArg as FeedKind, {
  seconds: envNumber('BENCH_RECORD_SECONDS', 40),
  videoKbps: envNumber('BENCH_VIDEO_KBPS', 1500),
  pinCpu: process.env.BENCH_LOADGEN_CPUS || null,
  nice: 0,
  log,
});
writeRecording(file, rec);
log(`${file}: ${rec.packets.length} packets, ${(statSync(file).size / 2 ** 20).toFixed(1)} MiB — ${rec.header.description}`);
