// Bench: is an SRTP PlainTransport viewer (what sfu-fanout and cluster-fanout count by default) a fair
// stand-in for a real WebRTC viewer? At small N, on one worker, the same single-layer broadcast goes to
//   srtp-plain      N PlainTransports with SRTP (the browser's suite) sending to the C UDP sink,
//                   consuming with the router's capabilities, so each runs mediasoup's estimator too
//                   (with no feedback to act on): how the fan-out benches counted viewers before they
//                   negotiated as the server does,
//   srtp-plain-server the same consuming what the server negotiates for this single-layer stream
//                   (consumerCapabilities: no estimate): forwarding + SRTP alone, as sfu-fanout and
//                   cluster-fanout count viewers,
//   srtp-plain-sleeping the same to a second sink that sleeps in epoll, as Chromium's network thread
//                   does: on loopback the worker's send wakes a sleeping receiver and pays for it
//                   (sfu-fanout's sink polls for that reason), so this row is the like-for-like one
//                   for the browser rows; across a network a viewer wakes nothing on the server,
//   webrtc          N RTCPeerConnections in Chromium (mediasoup-client recv transports over
//                   WebRtcTransports) consuming what the server negotiates: ICE, DTLS, SRTP, the
//                   browser's receiver reports, NACK and PLI, and no bandwidth estimate (the server
//                   negotiates none for a single-layer producer: src/sfu/consumer-capabilities.ts),
//   webrtc-estimate the same with transport-cc and REMB negotiated anyway, as for a simulcast/SVC
//                   producer: what the send-side bandwidth estimate (libwebrtc's, run per viewer on
//                   the browser's transport-cc feedback) adds to a viewer of a layered stream,
// and the worker's CPU per viewer is compared, after taking off what the worker spends with no viewer
// at all (the ingress: a row of its own).
//
//   npm run build && node dist/bench/webrtc-viewers.js
//
// Env: BENCH_WEBRTC_VIEWERS (10,25), BENCH_DURATION_S (10), BENCH_WARMUP_S (5: DTLS, the first
// keyframe, the bandwidth estimate), BENCH_SOURCE (replay: bench/lib/load-source.ts), BENCH_SRTP_SUITE
// (the browser's suite, AEAD_AES_128_GCM), BENCH_WORKER_CPUS (0), BENCH_LOADGEN_CPUS (the last CPU:
// the source, the sink and Chromium), BENCH_NICE (-10).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { types } from 'mediasoup';
import type { Browser } from 'playwright-core';
import { useCachedMediasoupWorker } from '../src/runtime/mediasoup-binary.js';
import { consumerCapabilities } from '../src/sfu/consumer-capabilities.js';
import { BrowserViewers } from './lib/browser-viewers.js';
import { printCostCurve, type CostPoint } from './lib/cost-curve.js';
import { envIntList } from './lib/env.js';
import { pct } from './lib/format.js';
import { prepareSource, type LoadSource, type PreparedSource } from './lib/load-source.js';
import { stampedLog } from './lib/log.js';
import { pinnedWorkerSettings } from './lib/pinned-worker-settings.js';
import { connectViewer, openIngress, producerCounts, publisherTarget, workerCpuMs, type Ingress } from './lib/plain-fanout.js';
import { reniceThreads } from './lib/procfs.js';
import { runBench } from './lib/run-bench.js';
import { UdpSink } from './lib/udp-sink.js';
import { transportLabel } from './lib/viewer-transport.js';
import { sleep } from './lib/wait.js';

useCachedMediasoupWorker();
const mediasoup = await import('mediasoup');
const { MEDIA_CODECS } = await import('../src/sfu/media-codecs.js');
const { launchChromium } = await import('./lib/browser-kit.js');

const VIEWERS = envIntList('BENCH_WEBRTC_VIEWERS', '10,25');
// The PlainTransport rows use the suite the browser gets (one suite: this is a like-for-like check).
const { durationS: DURATION_S, warmupS: WARMUP_S, nice: NICE, cpuCount: NCPU, workerCpu: WORKER_CPU, loadgenCpu: LOADGEN_CPU, source: SOURCE, srtp: SRTP } =
  pinnedWorkerSettings({ warmupS: 5 });
const VIDEO_KBPS = 1500;
const log = stampedLog('webrtc-viewers ', 5);

type Kind = 'none' | 'srtp-plain' | 'srtp-plain-server' | 'srtp-plain-sleeping' | 'webrtc' | 'webrtc-estimate';
const KINDS = ['srtp-plain', 'srtp-plain-server', 'srtp-plain-sleeping', 'webrtc', 'webrtc-estimate'] as const;

interface Row {
  kind: Kind;
  n: number;
  /** Worker CPU in cores over the window. */
  cores: number;
  /** Packets/s the viewers' consumers sent (consumer stats deltas). */
  fwdPps: number;
  perViewerPps: number;
  /** webrtc: what the browser counted, packets received and lost (inbound-rtp), over the window. */
  loss: number;
  note: string;
}

const running: {
  tmp: string | null;
  worker: types.Worker | null;
  sink: UdpSink | null;
  sleepingSink: UdpSink | null;
  browser: Browser | null;
  source: LoadSource | null;
} = {
  tmp: null,
  worker: null,
  sink: null,
  sleepingSink: null,
  browser: null,
  source: null,
};

async function sentPackets(consumers: types.Consumer[]): Promise<number> {
  const stats = await Promise.all(consumers.map((c) => c.getStats()));
  return stats.flat().reduce((sum, s) => sum + (s.type === 'outbound-rtp' ? s.packetCount : 0), 0);
}

/** Starts the feed into `ingress`, lets it warm up, measures one window; returns CPU and packet counts. */
async function measure(ingress: Ingress, consumers: types.Consumer[], prepared: PreparedSource, browserStats?: () => Promise<{ received: number; lost: number }>) {
  running.source = await prepared.start(publisherTarget(ingress), { maxSeconds: WARMUP_S + DURATION_S + 60, videoKbps: VIDEO_KBPS, pinCpu: LOADGEN_CPU, nice: NICE });
  await sleep(WARMUP_S * 1000);
  const worker = running.worker!;
  const t0 = Date.now();
  const [[cpu0], sent0, prod0, b0] = await Promise.all([workerCpuMs([worker]), sentPackets(consumers), producerCounts(ingress), browserStats?.()]);
  await sleep(DURATION_S * 1000);
  const t1 = Date.now();
  const [[cpu1], sent1, prod1, b1] = await Promise.all([workerCpuMs([worker]), sentPackets(consumers), producerCounts(ingress), browserStats?.()]);
  if (!running.source.running) throw new Error(`the source stopped: ${running.source.lastError}`);
  await running.source.stop();
  running.source = null;
  const windowS = (t1 - t0) / 1000;
  const expected = prod1.received + prod1.lost - (prod0.received + prod0.lost);
  const received = b0 && b1 ? b1.received - b0.received : 0;
  const lost = b0 && b1 ? b1.lost - b0.lost : 0;
  return { cores: (cpu1! - cpu0!) / 1000 / windowS, fwdPps: (sent1 - sent0) / windowS, perViewerPps: expected / windowS, loss: received + lost > 0 ? lost / (received + lost) : 0 };
}

async function runRow(kind: Kind, n: number, router: types.Router, prepared: PreparedSource): Promise<Row> {
  const ingress = await openIngress(router);
  const consumers: types.Consumer[] = [];
  const plainTransports: types.PlainTransport[] = [];
  let viewers: BrowserViewers | null = null;
  try {
    if (kind === 'srtp-plain' || kind === 'srtp-plain-server' || kind === 'srtp-plain-sleeping') {
      const sink = kind === 'srtp-plain-sleeping' ? running.sleepingSink! : running.sink!;
      for (let i = 0; i < n; i += 1) {
        const t = await connectViewer(router, sink.ports[i % sink.ports.length]!, SRTP);
        plainTransports.push(t);
        for (const p of [ingress.video, ingress.audio]) {
          const rtpCapabilities = kind === 'srtp-plain' ? router.rtpCapabilities : consumerCapabilities(p, router.rtpCapabilities);
          consumers.push(await t.consume({ producerId: p.id, rtpCapabilities }));
        }
      }
    } else if (kind !== 'none') {
      viewers = await BrowserViewers.open(running.browser!, router);
      for (let i = 0; i < n; i += 1) consumers.push(...(await viewers.add([ingress.video, ingress.audio], { estimate: kind === 'webrtc-estimate' })).consumers);
    }
    log(`${kind} n=${n}: ${kind === 'none' ? 'no viewer (the ingress alone)' : `${n} viewers set up`}; feed on, warming up ${WARMUP_S} s, measuring ${DURATION_S} s`);
    const v = viewers;
    const browserStats = v
      ? async () => (await v.stats()).reduce((acc, s) => ({ received: acc.received + s.packetsReceived, lost: acc.lost + s.packetsLost }), { received: 0, lost: 0 })
      : undefined;
    const m = await measure(ingress, consumers, prepared, browserStats);
    let note = '';
    if (v) {
      const stats = await v.stats();
      const ciphers = [...new Set(stats.map((s) => s.srtpCipher))].join(',');
      // A transport's stats carry availableOutgoingBitrate only while the worker estimates for it.
      const estimating = (await Promise.all(v.all.map(async (x) => (await x.transport.getStats())[0]?.availableOutgoingBitrate !== undefined))).filter(Boolean).length;
      note = `browser SRTP ${ciphers}; ${stats.filter((s) => s.framesDecoded > 0).length}/${n} decoding; ${estimating}/${n} with an estimate`;
    }
    const row: Row = { kind, n, ...m, note };
    log(`${kind} n=${n}: worker ${pct(row.cores, 1)} of a core, ${row.fwdPps.toFixed(0)} pkt/s to viewers${note ? `; ${note}` : ''}`);
    return row;
  } finally {
    await viewers?.close();
    for (const t of [ingress.videoTransport, ingress.audioTransport, ...plainTransports]) t.close();
  }
}

/** Chromium under taskset/nice: playwright starts whatever executable it is given. */
function pinnedChromium(tmp: string): string {
  const wrapper = path.join(tmp, 'chromium');
  const real = process.env.BENCH_CHROMIUM ?? '/usr/bin/chromium';
  writeFileSync(wrapper, `#!/bin/sh\nexec taskset -c ${LOADGEN_CPU} nice -n ${NICE} ${real} "$@"\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}

function report(rows: Row[]): void {
  const base = rows.find((r) => r.kind === 'none');
  const idle = base?.cores ?? 0;
  const points: CostPoint[] = rows
    .filter((r) => r.kind !== 'none')
    .map((r) => ({ transport: r.kind === 'srtp-plain' ? transportLabel(SRTP) : r.kind, setup: '1 worker', workers: 1, viewers: r.n, fwdPps: r.fwdPps, cores: r.cores, perViewerPps: r.perViewerPps, meanLoss: r.loss, maxLoss: r.loss }));
  printCostCurve(points, `${VIDEO_KBPS / 1000} Mb/s H.264 + Opus (worker CPU including the ingress: ${pct(idle, 1)} of a core with no viewer)`);
  console.log(`\n=== Real WebRTC viewer vs SRTP PlainTransport viewer (${SRTP.kind === 'srtp' ? SRTP.suite : ''}) ===`);
  console.log(`  marginal CPU per viewer = (worker CPU − ${pct(idle, 2)} with no viewer) ÷ N`);
  const perViewer = (kind: Kind, n: number) => {
    const r = rows.find((x) => x.kind === kind && x.n === n);
    return r ? { cpu: (r.cores - idle) / n, pps: r.fwdPps / n, note: r.note } : undefined;
  };
  const versus = (b: number, a: number) => {
    const ratio = a > 0 ? b / a : 0;
    return `${ratio.toFixed(2)}× (${Math.abs(ratio - 1) <= 0.2 ? 'within' : 'NOT within'} 20%)`;
  };
  for (const n of VIEWERS) {
    const estimated = perViewer('srtp-plain', n);
    const fanOut = perViewer('srtp-plain-server', n);
    const real = perViewer('webrtc', n);
    const estimating = perViewer('webrtc-estimate', n);
    const sleeping = perViewer('srtp-plain-sleeping', n);
    if (!estimated || !fanOut || !real || !estimating || !sleeping) continue;
    console.log(`  N=${n}: SRTP PlainTransport as the fan-out benches count it (what the server negotiates) ${pct(fanOut.cpu, 3)} of a core per viewer; with an estimate per transport (the router's capabilities) ${pct(estimated.cpu, 3)}`);
    console.log(`    WebRTC, the server's default (no estimate for a single-layer stream) ${pct(real.cpu, 3)}: ${versus(real.cpu, fanOut.cpu)} the fan-out figure; ${real.pps.toFixed(0)} pkt/s per viewer, ${real.note}`);
    console.log(`    WebRTC with the estimate (as for a simulcast/SVC stream) ${pct(estimating.cpu, 3)}: ${versus(estimating.cpu, fanOut.cpu)} the fan-out figure, ${versus(estimating.cpu, estimated.cpu)} the PlainTransport with an estimate; ${estimating.note}`);
    console.log(
      `    like for like, the SRTP PlainTransport's sink sleeping in epoll as the browser does (loopback wakes both): ${pct(sleeping.cpu, 3)} per viewer; WebRTC ${versus(real.cpu, sleeping.cpu)} that`,
    );
  }
  console.log('  (a viewer across a network wakes nothing on the server: the fan-out figure, whose sink polls, is the production one)');
}

async function main(): Promise<void> {
  console.log('LevelChat bench: real WebRTC viewers (Chromium) vs SRTP PlainTransport viewers, worker CPU per viewer');
  console.log(`  machine: ${NCPU} cores (${os.cpus()[0]?.model ?? '?'}), Linux ${os.release()}; worker on CPU ${WORKER_CPU}; source, sink and Chromium on CPU ${LOADGEN_CPU} (taskset), nice ${NICE}`);
  console.log(`  software: node ${process.version}, mediasoup ${mediasoup.version} (worker ${mediasoup.workerBin}), ${execFileSync('chromium', ['--version'], { encoding: 'utf8' }).trim()}`);
  console.log(`  viewers ${VIEWERS.join(', ')}; window ${DURATION_S} s after ${WARMUP_S} s warm-up; rows per N: ${KINDS.join(', ')} (and one row with no viewer)`);
  running.tmp = mkdtempSync(path.join(os.tmpdir(), 'levelchat-webrtc-viewers-'));
  running.sink = await UdpSink.start(8, LOADGEN_CPU, NICE);
  running.sleepingSink = await UdpSink.start(8, LOADGEN_CPU, NICE, 0);
  running.worker = await mediasoup.createWorker({ logLevel: 'warn', rtcMinPort: 46000, rtcMaxPort: 46999 });
  execFileSync('taskset', ['-a', '-p', '-c', String(WORKER_CPU), String(running.worker.pid)], { stdio: 'ignore' });
  if (NICE !== 0) reniceThreads(running.worker.pid, NICE);
  process.env.BENCH_CHROMIUM = pinnedChromium(running.tmp);
  running.browser = await launchChromium();
  const prepared = await prepareSource(SOURCE, 'single', WARMUP_S + DURATION_S + 5, { videoKbps: VIDEO_KBPS, pinCpu: LOADGEN_CPU, nice: NICE }, log);
  log(`publisher: ${prepared.describe}`);
  const router = await running.worker.createRouter({ mediaCodecs: MEDIA_CODECS });
  const rows: Row[] = [];
  try {
    rows.push(await runRow('none', 0, router, prepared));
    for (const n of VIEWERS) for (const kind of KINDS) rows.push(await runRow(kind, n, router, prepared));
  } finally {
    prepared.dispose();
  }
  report(rows);
}

async function cleanup(): Promise<void> {
  await running.source?.stop();
  await running.browser?.close().catch(() => {});
  running.browser = null;
}

function cleanupSync(): void {
  running.source?.kill();
  running.sink?.stop();
  running.sink = null;
  running.sleepingSink?.stop();
  running.sleepingSink = null;
  running.worker?.close();
  running.worker = null;
  if (running.tmp) rmSync(running.tmp, { recursive: true, force: true });
  running.tmp = null;
}

await runBench({ main, cleanup, cleanupSync, stopping: 'the feed, Chromium, the sink and the worker' });
