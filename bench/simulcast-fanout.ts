// Bench: what a viewer costs when the broadcast is simulcast (3 H.264 layers, as browsers publish a
// camera) and viewers take different layers. One worker on its own CPU; N SRTP PlainTransport viewers,
// each a simulcast consumer pinned to one spatial layer (preferredLayers) + the audio consumer.
// Rows: every viewer on layer 0, on layer 1, on layer 2, then a third on each (the mix a real audience
// gives when some viewers are on small windows or weak links), and one row with no viewer (the
// ingress of 3 layers alone). Per row: worker CPU, CPU per viewer, packets per viewer; the mixed row
// is checked against the single-layer rows (costs add up per viewer).
//
//   npm run build && node dist/bench/simulcast-fanout.js
//
// Env: BENCH_VIEWERS (300: viewers per row), BENCH_DURATION_S (10), BENCH_WARMUP_S (3), BENCH_SOURCE
// (replay: records ffmpeg's 3-layer simulcast once at the start; replay:<file> from
// bench/record-feed.ts), BENCH_SRTP_SUITE (AEAD_AES_128_GCM), BENCH_WORKER_CPUS (0),
// BENCH_LOADGEN_CPUS (the last CPU: the replay and the sink), BENCH_NICE (-10).
//
// Congestion: the viewers send no RTCP feedback, so their consumers are given RTP capabilities without
// transport-cc and abs-send-time (withoutBandwidthEstimate): no bandwidth estimation, each consumer forwards its preferred
// layer. (With those extensions and no feedback, mediasoup's estimate stays at its initial 600 kb/s
// per transport and nobody would get the 1.5 Mb/s layer.) Real viewers' layers follow their estimate:
// bench/webrtc-viewers.ts measures browser viewers.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { types } from 'mediasoup';
import { useCachedMediasoupWorker } from '../src/runtime/mediasoup-binary.js';
import { withoutBandwidthEstimate } from '../src/sfu/consumer-capabilities.js';
import { envNumber } from './lib/env.js';
import { SIMULCAST_LAYERS } from './lib/feed-recorder.js';
import { kpps, lpad, pad, pct } from './lib/format.js';
import { prepareSource, type LoadSource, type PreparedSource } from './lib/load-source.js';
import { stampedLog } from './lib/log.js';
import { pinnedWorkerSettings } from './lib/pinned-worker-settings.js';
import { connectViewer, openIngress, publisherTarget, workerCpuMs, type Ingress } from './lib/plain-fanout.js';
import { reniceThreads } from './lib/procfs.js';
import { runBench } from './lib/run-bench.js';
import { UdpSink, type SinkSnapshot } from './lib/udp-sink.js';
import { transportLabel } from './lib/viewer-transport.js';
import { sleep, waitFor } from './lib/wait.js';

useCachedMediasoupWorker();
const mediasoup = await import('mediasoup');
const { MEDIA_CODECS } = await import('../src/sfu/media-codecs.js');

const N = Math.round(envNumber('BENCH_VIEWERS', 300));
const { durationS: DURATION_S, warmupS: WARMUP_S, nice: NICE, cpuCount: NCPU, workerCpu: WORKER_CPU, loadgenCpu: LOADGEN_CPU, source: SOURCE, srtp: SRTP } =
  pinnedWorkerSettings({ warmupS: 3 });
const log = stampedLog('simulcast-fanout ', 5);

/** A row: which layer each viewer takes (null: no viewer at all). */
interface Mix {
  name: string;
  layerOf: ((i: number) => number) | null;
}

const MIXES: Mix[] = [
  { name: 'no viewer', layerOf: null },
  ...SIMULCAST_LAYERS.map((l, layer) => ({ name: `all on ${l.height}p`, layerOf: () => layer })),
  { name: 'a third each', layerOf: (i: number) => i % SIMULCAST_LAYERS.length },
];

interface Row {
  mix: string;
  viewers: number;
  cores: number;
  fwdPps: number;
  /** Per layer: viewers on it, packets/s each got (sink), loss mean (window, vs the layer's packets + audio). */
  layers: { viewers: number; ppsPerViewer: number; loss: number }[];
  /** Lost before the worker (replay → producers), window: a disturbed row (and consumers changing layers). */
  ingressLoss: number;
}

const running: { worker: types.Worker | null; sink: UdpSink | null; source: LoadSource | null } = { worker: null, sink: null, source: null };

/** Per SSRC (each layer and the audio), packets sent to the producers so far (received + lost), and lost. */
async function ingressPackets(ingress: Ingress): Promise<Map<number, { sent: number; lost: number }>> {
  const stats = (await Promise.all([ingress.video.getStats(), ingress.audio.getStats()])).flat();
  return new Map(stats.map((s) => [s.ssrc, { sent: s.packetCount + s.packetsLost, lost: s.packetsLost }]));
}

async function runRow(mix: Mix, router: types.Router, prepared: PreparedSource): Promise<Row> {
  const sink = running.sink!;
  const ingress = await openIngress(router, SIMULCAST_LAYERS.map((l) => l.ssrc));
  const caps = withoutBandwidthEstimate(router.rtpCapabilities);
  const viewers: { port: number; layer: number; consumer: types.Consumer }[] = [];
  const transports: types.PlainTransport[] = [];
  try {
    const n = mix.layerOf ? N : 0;
    for (let i = 0; i < n; i += 1) {
      const layer = mix.layerOf!(i);
      const t = await connectViewer(router, sink.ports[i % sink.ports.length]!, SRTP);
      transports.push(t);
      const consumer = await t.consume({ producerId: ingress.video.id, rtpCapabilities: caps, preferredLayers: { spatialLayer: layer } });
      await t.consume({ producerId: ingress.audio.id, rtpCapabilities: caps });
      viewers.push({ port: t.tuple.localPort, layer, consumer });
    }
    await sink.reset();
    running.source = await prepared.start(publisherTarget(ingress), { maxSeconds: WARMUP_S + DURATION_S + 60, videoKbps: 0, pinCpu: LOADGEN_CPU, nice: NICE });
    log(`${mix.name}: ${n} viewers set up, feed on; warming up ${WARMUP_S} s, measuring ${DURATION_S} s`);
    await sleep(WARMUP_S * 1000);
    // A simulcast consumer moves up to its layer at a keyframe once that layer's stream had a sender
    // report (to line up timestamps); ffmpeg sends one every 5 s. Measure once every viewer is there.
    const waitFrom = Date.now();
    const off = () => viewers.filter((v) => v.consumer.currentLayers?.spatialLayer !== v.layer).length;
    await waitFor(() => off() === 0, { timeoutMs: 15_000, intervalMs: 250, what: 'every simulcast consumer on its preferred layer' }).catch(() => {});
    if (off() > 0) throw new Error(`${off()} of ${viewers.length} viewers never reached their layer`);
    if (viewers.length) log(`${mix.name}: every viewer on its layer ${((Date.now() - waitFrom) / 1000).toFixed(1)} s after the warm-up`);
    const read = async () => ({ at: Date.now(), cpu: (await workerCpuMs([running.worker!]))[0]!, sink: await sink.snapshot(), ingress: await ingressPackets(ingress) });
    const a = await read();
    await sleep(DURATION_S * 1000);
    const b = await read();
    if (!running.source.running) throw new Error(`the source stopped: ${running.source.lastError}`);
    await running.source.stop();
    running.source = null;
    const windowS = (b.at - a.at) / 1000;
    const delta = (s: number) => (b.ingress.get(s)?.sent ?? 0) - (a.ingress.get(s)?.sent ?? 0);
    const lostDelta = [...b.ingress].reduce((sum, [s, v]) => sum + v.lost - (a.ingress.get(s)?.lost ?? 0), 0);
    const sentDelta = [...b.ingress.keys()].reduce((sum, s) => sum + delta(s), 0);
    const audio = delta(ingress.audio.rtpParameters.encodings![0]!.ssrc!);
    const got = (snap: SinkSnapshot, port: number) => snap.perPort.get(port) ?? 0;
    const layers = SIMULCAST_LAYERS.map((l, layer) => {
      const mine = viewers.filter((v) => v.layer === layer);
      const expected = delta(l.ssrc) + audio;
      const counts = mine.map((v) => got(b.sink, v.port) - got(a.sink, v.port));
      const loss = mine.length && expected > 0 ? counts.reduce((sum, c) => sum + Math.max(0, 1 - c / expected), 0) / mine.length : 0;
      return { viewers: mine.length, ppsPerViewer: mine.length ? counts.reduce((x, y) => x + y, 0) / mine.length / windowS : 0, loss };
    });
    const row: Row = { mix: mix.name, viewers: n, cores: (b.cpu - a.cpu) / 1000 / windowS, fwdPps: (b.sink.rtp - a.sink.rtp) / windowS, layers, ingressLoss: sentDelta > 0 ? lostDelta / sentDelta : 0 };
    log(`${mix.name}: worker ${pct(row.cores, 1)} of a core, ${kpps(row.fwdPps)} pkt/s to viewers`);
    return row;
  } finally {
    for (const t of [ingress.videoTransport, ingress.audioTransport, ...transports]) t.close();
  }
}

function report(rows: Row[]): void {
  const idle = rows.find((r) => r.viewers === 0)?.cores ?? 0;
  console.log(`\n=== Simulcast: ${SIMULCAST_LAYERS.map((l) => `${l.height}p ${l.kbps} kb/s`).join(' / ')} (+ Opus), ${transportLabel(SRTP)} viewers on one worker ===`);
  console.log(`  CPU/viewer = (worker CPU − ${pct(idle, 2)}, the 3-layer ingress with no viewer) ÷ N; pkt/s per viewer and loss per layer (window, vs that layer's packets + audio)`);
  const head = [pad('mix', 14), lpad('N', 5), lpad('worker CPU', 11), lpad('fwd pkt/s', 10), lpad('CPU/viewer', 11), lpad('viewers/core', 13), lpad('ingress lost', 13), ...SIMULCAST_LAYERS.map((l) => pad(`  ${l.height}p: N pkt/s loss`, 26))].join(' ');
  console.log(head);
  console.log('-'.repeat(head.length));
  const perViewer = new Map<number, number>();
  for (const r of rows) {
    const cpuPerViewer = r.viewers ? (r.cores - idle) / r.viewers : 0;
    const single = r.layers.findIndex((l) => l.viewers === r.viewers);
    if (r.viewers > 0 && single >= 0) perViewer.set(single, cpuPerViewer);
    console.log(
      [
        pad(r.mix, 14), lpad(String(r.viewers), 5), lpad(pct(r.cores, 1), 11), lpad(kpps(r.fwdPps), 10), lpad(r.viewers ? pct(cpuPerViewer, 3) : '—', 11),
        lpad(cpuPerViewer > 0 ? (1 / cpuPerViewer).toFixed(0) : '—', 13), lpad(pct(r.ingressLoss, 2), 13),
        ...r.layers.map((l) => pad(l.viewers ? `  ${l.viewers} ${l.ppsPerViewer.toFixed(0)} ${pct(l.loss, 2)}` : '  —', 26)),
      ].join(' '),
    );
  }
  const mixed = rows.find((r) => r.mix === 'a third each');
  if (mixed && perViewer.size === SIMULCAST_LAYERS.length) {
    const predicted = idle + mixed.layers.reduce((sum, l, layer) => sum + l.viewers * perViewer.get(layer)!, 0);
    console.log(`\n  mixed row: worker ${pct(mixed.cores, 1)} measured vs ${pct(predicted, 1)} predicted from the single-layer rows (${(mixed.cores / predicted).toFixed(2)}×)`);
  }
  console.log('  viewers/core = 1 ÷ CPU/viewer: viewers of that layer one core serves at 100% busy, ingress aside.');
}

async function main(): Promise<void> {
  console.log('LevelChat bench: simulcast fan-out, viewers on different layers');
  console.log(`  machine: ${NCPU} cores (${os.cpus()[0]?.model ?? '?'}), Linux ${os.release()}; worker on CPU ${WORKER_CPU}, replay and sink on CPU ${LOADGEN_CPU} (taskset), nice ${NICE}`);
  console.log(`  software: node ${process.version}, mediasoup ${mediasoup.version} (worker ${mediasoup.workerBin})`);
  running.sink = await UdpSink.start(8, LOADGEN_CPU, NICE);
  running.worker = await mediasoup.createWorker({ logLevel: 'warn', rtcMinPort: 47000, rtcMaxPort: 48999 });
  execFileSync('taskset', ['-a', '-p', '-c', String(WORKER_CPU), String(running.worker.pid)], { stdio: 'ignore' });
  if (NICE !== 0) reniceThreads(running.worker.pid, NICE);
  const prepared = await prepareSource(SOURCE, 'simulcast', WARMUP_S + 15 + DURATION_S + 3, { videoKbps: 0, pinCpu: LOADGEN_CPU, nice: NICE }, log);
  log(`publisher: ${prepared.describe}`);
  const router = await running.worker.createRouter({ mediaCodecs: MEDIA_CODECS });
  const rows: Row[] = [];
  try {
    for (const mix of MIXES) rows.push(await runRow(mix, router, prepared));
  } finally {
    prepared.dispose();
  }
  report(rows);
}

await runBench({
  main,
  cleanup: async () => {
    await running.source?.stop();
  },
  cleanupSync: () => {
    running.source?.kill();
    running.sink?.stop();
    running.sink = null;
    running.worker?.close();
    running.worker = null;
  },
  stopping: 'the replay, the sink and the worker',
});
