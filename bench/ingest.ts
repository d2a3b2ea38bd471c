// Bench: an RTMP encoder into a room. How long from the encoder's TCP connection to the first LL-HLS
// part listed and to the first frame a WebRTC viewer (Chromium, @levelchat/web) decodes, and what one
// passed-through RTMP ingest costs in CPU, against ffmpeg alone doing the same RTMP → RTP work.
//
//   npm run bench:ingest
//
// The encoder is a pre-encoded 720p30 H.264 (no B-frames, keyframe every second, 2.5 Mb/s) + AAC
// 128 kb/s FLV replayed in real time by `ffmpeg -re -c copy -f flv` (no encode on the measured box),
// through a TCP relay of the bench's that notes when the connection opens. Latency trials: a fresh
// broadcast room and ingest each, a viewer already joined. CPU: a meeting room (no LL-HLS packaging in
// the figure), BENCH_CPU_SECONDS of steady state, per process from /proc: the relay ffmpeg, this
// node's process (RTMP parsing, FLV), the mediasoup worker (RTP into the producers); baseline: ffmpeg
// listening for RTMP itself and sending the same RTP (copy + mp4toannexb, AAC → Opus) to a sink.
//
// Env: BENCH_TRIALS (5), BENCH_CPU_SECONDS (20), LEVELCHAT_WORKERS (1), BENCH_CHROMIUM.
// Loopback on one machine: the encoder's replay and Chromium share the cores with the node.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort } from '../common/free-port.js';
import { h, joinOrThrow, mintToken, openHarness } from './lib/browser-kit.js';
import { startBrowserBench } from './lib/browser-bench.js';
import { envCount } from './lib/env.js';
import { processCpuMs } from './lib/procfs.js';
import { spread } from './lib/stats.js';
import { sleep, waitFor } from './lib/wait.js';

const TRIALS = envCount('BENCH_TRIALS', 5);
const CPU_SECONDS = envCount('BENCH_CPU_SECONDS', 20);
const TARGET_CPU = 0.05;
process.env.LEVELCHAT_WORKERS ??= '1';

/** 30 s of 720p30 H.264 + AAC, encoded once: the replayed encoder costs no encode while measured. */
async function recordFlv(dir: string): Promise<string> {
  const file = path.join(dir, 'encoder.flv');
  const ffmpeg = spawn('ffmpeg', [
    ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '30'],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p', '-g', '30', '-keyint_min', '30', '-sc_threshold', '0', '-bf', '0', '-b:v', '2500k', '-maxrate', '2500k', '-bufsize', '2500k'],
    ...['-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-y', file],
  ]);
  const code = await new Promise((r) => ffmpeg.once('exit', r));
  if (code !== 0) throw new Error('could not encode the replayed stream');
  return file;
}

/** `ffmpeg -re` replaying the FLV (looped) to an RTMP URL, stream copied. */
function replay(flv: string, url: string): ChildProcess {
  return spawn('ffmpeg', ['-v', 'error', '-re', '-stream_loop', '-1', '-i', flv, '-c', 'copy', '-f', 'flv', url], { stdio: 'ignore' });
}

const stop = async (child: ChildProcess) => {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
};

/** A TCP relay to the node's RTMP port that resolves `opened` with the time the encoder's connection arrived. */
async function connectionClock(target: number): Promise<{ port: number; next(): Promise<number>; close(): void }> {
  let waiting: ((at: number) => void) | null = null;
  const server = net.createServer((client) => {
    const at = performance.now();
    waiting?.(at);
    waiting = null;
    const upstream = net.connect(target, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    next: () => new Promise<number>((r) => (waiting = r)),
    close: () => server.close(),
  };
}

/** The ffmpeg children of this process whose command line contains `marker`. */
function childFfmpegs(marker: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
        return ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    });
}

/** CPU of `pids` over `seconds`, as a fraction of one core each. */
async function cpuOver(pids: Record<string, number>, seconds: number): Promise<Record<string, number>> {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuMs(pid)]));
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const elapsed = performance.now() - t0;
  return Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, (processCpuMs(pid) - before[k]!) / elapsed]));
}

const ms = (x: number) => `${x.toFixed(0).padStart(5)} ms`;
const pctOf = (x: number) => `${(x * 100).toFixed(1).padStart(5)}%`;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'levelchat-bench-ingest-'));
  const { stack, browser, apiKey, say, stop: stopBench } = await startBrowserBench('ingest');
  const url = stack.summary.url;
  const api = (p: string, init: { method?: string; json?: unknown } = {}) =>
    fetch(`${url}${p}`, { method: init.method ?? 'GET', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, ...(init.json ? { body: JSON.stringify(init.json) } : {}) });
  try {
    say('encoding the replayed stream (30 s of 720p30 H.264 + AAC)');
    const flv = await recordFlv(dir);

    // Latency: connect → first LL-HLS part, connect → first WebRTC frame.
    const toPart: number[] = [];
    const toFrame: number[] = [];
    for (let i = 0; i <= TRIALS; i++) {
      const roomId = `r_bench-ingest-${Date.now()}-${i}`;
      await api('/v1/rooms', { method: 'POST', json: { external_id: roomId.slice(2), type: 'broadcast' } });
      const ingest = (await (await api(`/v1/rooms/${roomId}/ingests`, { method: 'POST', json: { protocol: 'rtmp' } })).json()) as { url: string; stream_key: string; id: string };
      const page = await openHarness(browser, url);
      const token = await mintToken(url, apiKey, roomId, `viewer-${i}`, ['subscribe:all'], 'broadcast');
      await joinOrThrow(page, { token: token.token, signalingUrl: token.signaling_url, roomType: 'broadcast' }, 'viewer');
      const rtmpPort = Number(new URL(ingest.url.replace(/^rtmp:/, 'http:')).port);
      const clock = await connectionClock(rtmpPort);
      const opened = clock.next();
      const encoder = replay(flv, `rtmp://127.0.0.1:${clock.port}/live/${ingest.stream_key}`);
      const t0 = await opened;
      const part = waitFor(async () => {
        const master = await fetch(`${url}/hls/${roomId}/master.m3u8`);
        if (master.status !== 200) return undefined;
        const uri = (await master.text()).split('\n').find((l) => l && !l.startsWith('#'));
        const playlist = uri ? await (await fetch(new URL(uri, `${url}/hls/${roomId}/master.m3u8`))).text() : '';
        return playlist.includes('#EXT-X-PART:') ? performance.now() : undefined;
      }, { timeoutMs: 30_000, intervalMs: 20, what: 'the first LL-HLS part' });
      const frame = waitFor(async () => (Object.values(await h(page, 'framesDecoded')).some((n) => n > 0) ? performance.now() : undefined), { timeoutMs: 30_000, intervalMs: 20, what: 'the first WebRTC frame' });
      const [partAt, frameAt] = await Promise.all([part, frame]);
      await stop(encoder);
      clock.close();
      await page.context().close();
      await api(`/v1/rooms/${roomId}/ingests/${ingest.id}`, { method: 'DELETE' });
      await api(`/v1/rooms/${roomId}`, { method: 'DELETE' });
      if (i === 0) continue; // warm-up: Chromium's first decoder, the first ffmpegs
      toPart.push(partAt - t0);
      toFrame.push(frameAt - t0);
      say(`trial ${i}/${TRIALS}: first LL-HLS part ${(partAt - t0).toFixed(0)} ms, first WebRTC frame ${(frameAt - t0).toFixed(0)} ms`);
    }

    // CPU of one ingest, steady state, in a meeting room (no LL-HLS run).
    const roomId = `r_bench-ingest-cpu-${Date.now()}`;
    await api('/v1/rooms', { method: 'POST', json: { external_id: roomId.slice(2), type: 'meeting' } });
    const ingest = (await (await api(`/v1/rooms/${roomId}/ingests`, { method: 'POST', json: { protocol: 'rtmp' } })).json()) as { publish_url: string; id: string };
    const worker = stack.workers.all[0]!.pid;
    say(`idle: ${CPU_SECONDS} s`);
    const idle = await cpuOver({ node: process.pid, worker }, CPU_SECONDS);
    const encoder = replay(flv, ingest.publish_url);
    await waitFor(async () => childFfmpegs('h264_mp4toannexb').length === 1, { timeoutMs: 20_000, what: 'the relay' });
    await sleep(3000);
    say(`one RTMP ingest: ${CPU_SECONDS} s`);
    const busy = await cpuOver({ node: process.pid, worker, relay: childFfmpegs('h264_mp4toannexb')[0]! }, CPU_SECONDS);
    await stop(encoder);
    await api(`/v1/rooms/${roomId}/ingests/${ingest.id}`, { method: 'DELETE' });
    const node = Math.max(0, busy.node! - idle.node!);
    const work = Math.max(0, busy.worker! - idle.worker!);
    const total = busy.relay! + node + work;

    // Baseline: ffmpeg alone takes the RTMP stream and sends the same RTP to a sink.
    const listen = await freePort();
    const sink = await freePort();
    const plain = spawn('ffmpeg', [
      ...['-v', 'error', '-listen', '1', '-i', `rtmp://127.0.0.1:${listen}/live/bench`],
      ...['-map', '0:v:0', '-c:v', 'copy', '-bsf:v', 'h264_mp4toannexb', '-f', 'rtp', `rtp://127.0.0.1:${sink}?pkt_size=1200`],
      ...['-map', '0:a:0', '-c:a', 'libopus', '-b:a', '96000', '-ar', '48000', '-ac', '2', '-f', 'rtp', `rtp://127.0.0.1:${sink + 2}?pkt_size=1200`],
    ], { stdio: 'ignore' });
    await sleep(500);
    const plainEncoder = replay(flv, `rtmp://127.0.0.1:${listen}/live/bench`);
    await sleep(3000);
    say(`baseline, ffmpeg alone: ${CPU_SECONDS} s`);
    const baseline = await cpuOver({ plain: plain.pid! }, CPU_SECONDS);
    await stop(plainEncoder);
    await stop(plain);

    const p = spread(toPart);
    const f = spread(toFrame);
    console.log(`\nRTMP ingest, 720p30 H.264 (passed through) + AAC → Opus, ${toPart.length} trials, loopback`);
    console.log(`encoder connect → first LL-HLS part      p50 ${ms(p.p50)}   p95 ${ms(p.p95)}   min ${ms(p.min ?? NaN)}   max ${ms(p.max ?? NaN)}`);
    console.log(`encoder connect → first WebRTC frame     p50 ${ms(f.p50)}   p95 ${ms(f.p95)}   min ${ms(f.min ?? NaN)}   max ${ms(f.max ?? NaN)}`);
    console.log(`\nCPU of one RTMP ingest (share of one core, ${CPU_SECONDS} s steady state, idle subtracted for node and worker):`);
    console.log(`  relay ffmpeg (FLV → RTP, Opus encode) ${pctOf(busy.relay!)}`);
    console.log(`  node process (RTMP parse, FLV)        ${pctOf(node)}`);
    console.log(`  mediasoup worker (RTP in)             ${pctOf(work)}`);
    console.log(`  total                                 ${pctOf(total)}   target ≤ ${pctOf(TARGET_CPU)}: ${total <= TARGET_CPU ? 'met' : 'MISSED'}`);
    console.log(`  baseline: ffmpeg alone, RTMP in → same RTP out ${pctOf(baseline.plain!)}   LevelChat / baseline ${(total / baseline.plain!).toFixed(2)}×`);
  } finally {
    await stopBench();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
