// Bench: one broadcast fanned out to N viewers — plain mediasoup (one router on one worker) versus the
// LevelChat cascade (MediaRoom: origin router + edge routers fed by pipeToRouter, one tier per worker).
// Loopback only, one run, both sides interleaved per N.
//
//   npm run bench:sfu-fanout
//   (= npm run build && node dist/bench/sfu-fanout.js; MEDIASOUP_WORKER_BIN defaults to .cache/)
//
// Env: BENCH_VIEWERS (50,200,400; 1000 is only tried when listed), BENCH_DURATION_S (15, measured
// window per side and N), BENCH_WARMUP_S (3, after ffmpeg starts, unmeasured), LEVELCHAT_WORKERS (2,
// cascade workers), BENCH_PIN (1: pin workers and the load generator with taskset; 0: no pinning),
// BENCH_RTC_MIN_PORT (50000: mediasoup ports from here up, the single worker first, then the pool),
// BENCH_NICE (-10: nice value for the workers, ffmpeg and the sink so other work on a shared box
// disturbs the measurement less; 0 leaves priorities alone). BENCH_METRICS_SCRAPE_S (0: off; S: every
// row runs again with LevelChat's SFU metrics (src/sfu/sfu-metrics.ts) rendered every S s through the
// measured window, as Prometheus scrapes a node: the "+metrics" rows, and their pkt/s per core against
// the plain rows').
// Viewer transports (bench/lib/viewer-transport.ts): BENCH_VIEWER_TRANSPORT (srtp: comma list of
// plain, srtp; each N runs every one, interleaved), BENCH_SRTP_SUITE (AEAD_AES_128_GCM, the suite
// browsers negotiate with our worker; comma list for a row per suite). Placement: BENCH_SIDES
// (single,cascade), BENCH_WORKER_CPUS (0,1,...: CPU of the single worker, then cascade worker i on
// entry i mod length), BENCH_LOADGEN_CPUS (the last CPU: ffmpeg/replay + sink, a taskset list such
// as 2-15). BENCH_SOURCE (ffmpeg; replay; replay:<file>: bench/lib/load-source.ts).
//
// Load: a real ffmpeg (libx264 veryfast zerolatency CBR 1.5 Mb/s 640x360 test pattern, -g 30, + Opus)
// over plain RTP into two PlainTransport producers on the origin router. Each viewer is one
// PlainTransport (rtcp-mux) with a video and an audio consumer, connected to a C recvmmsg UDP sink
// (bench/lib/udp-sink.c, compiled into a temp dir at run time) that counts RTP per source port, i.e.
// per viewer. Measured per window: forwarded packets/s (consumer `packetCount` deltas, per worker),
// worker CPU (/proc utime+stime deltas, read with the sink's counts), loss per viewer at the sink against what
// ffmpeg sent (producer packetCount + packetsLost), kernel drops on the sink and ingress sockets.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { types } from 'mediasoup';
// Types only (erased): the modules themselves are loaded below, after MEDIASOUP_WORKER_BIN is set.
import type { WorkerPool as WorkerPoolT } from '../src/sfu/worker-pool.js';
import { useCachedMediasoupWorker } from '../src/runtime/mediasoup-binary.js';
import { consumerCapabilities } from '../src/sfu/consumer-capabilities.js';
import { envCount, envIntList, envNumber } from './lib/env.js';
import { parseCpuList } from './lib/cpu-list.js';
import { capacities, capacityRatio, printCostCurve, srtpVersusPlain, viewersPerCore, type Capacity, type CostPoint } from './lib/cost-curve.js';
import { prepareSource, sourceFromEnv, type LoadSource, type PreparedSource } from './lib/load-source.js';
import { transportLabel, viewerTransportsFromEnv, type ViewerTransport } from './lib/viewer-transport.js';
import { kpps, lpad, pad, pct } from './lib/format.js';
import { spread } from './lib/stats.js';
import { connectViewer, openIngress, producerCounts, workerCpuMs, type Ingress } from './lib/plain-fanout.js';
import { cpuDelta, machineCpu, processCpuMs, reniceThreads, sumDrops, udpDrops, type CpuTimes } from './lib/procfs.js';
import { sinkPollUs, UdpSink, type SinkSnapshot } from './lib/udp-sink.js';
import { stampedLog } from './lib/log.js';
import { printScrapeCost, SCRAPED, scrapeEvery, scrapeLine } from './lib/metrics-scraper.js';
import { Metrics } from '../common/metrics.js';
import { SfuMetrics } from '../src/sfu/sfu-metrics.js';
import { sleep } from './lib/wait.js';

// mediasoup reads MEDIASOUP_WORKER_BIN when first imported: settle it, then load everything that
// imports mediasoup.
useCachedMediasoupWorker();
const mediasoup = await import('mediasoup');
const { WorkerPool } = await import('../src/sfu/worker-pool.js');
const { MediaRoom } = await import('../src/sfu/media-room.js');
const { InProcessPipe } = await import('../src/sfu/producer-pipe.js');
const { MEDIA_CODECS } = await import('../src/sfu/media-codecs.js');
const { createLogger } = await import('../common/logger.js');

// ---------------------------------------------------------------------------------------------
// Settings

const VIEWERS = envIntList('BENCH_VIEWERS', '50,200,400');
const TRANSPORTS = viewerTransportsFromEnv();
const SOURCE = sourceFromEnv();
const SIDES = (process.env.BENCH_SIDES || 'single,cascade').split(',').map((s) => s.trim()) as ('single' | 'cascade')[];
if (SIDES.length === 0 || SIDES.some((s) => s !== 'single' && s !== 'cascade')) throw new Error('BENCH_SIDES: a comma list of single, cascade');
const DURATION_S = envNumber('BENCH_DURATION_S', 15);
const WARMUP_S = envNumber('BENCH_WARMUP_S', 3);
const WORKERS = Math.round(envNumber('LEVELCHAT_WORKERS', 2));
const PIN = process.env.BENCH_PIN !== '0';
const RTC_MIN_PORT = Math.round(envNumber('BENCH_RTC_MIN_PORT', 50000));
const NICE = Number(process.env.BENCH_NICE ?? -10);
const METRICS_SCRAPE_S = envCount('BENCH_METRICS_SCRAPE_S', 0);
const SINK_SOCKETS = 8;
const VIDEO_KBPS = 1500;
const NCPU = os.availableParallelism?.() ?? os.cpus().length;
/** The load generator (ffmpeg or replay + sink): BENCH_LOADGEN_CPUS, else the last CPU. */
const LOADGEN_CPU: string | null = !PIN ? null : process.env.BENCH_LOADGEN_CPUS || (NCPU > 1 ? String(NCPU - 1) : null);
const LOADGEN_CPUS = LOADGEN_CPU === null ? [] : parseCpuList(LOADGEN_CPU);
/** Worker CPUs: the single worker on the first, cascade worker i on entry i mod length. */
const WORKER_CPUS = parseCpuList(process.env.BENCH_WORKER_CPUS || `0-${NCPU - 1}`);
const SINGLE_CPU = PIN ? WORKER_CPUS[0]! : null;
const cascadeCpu = (i: number): number | null => (PIN ? WORKER_CPUS[i % WORKER_CPUS.length]! : null);
const poolCpus = (): number[] => Array.from({ length: WORKERS }, (_, i) => cascadeCpu(i)!);

if (VIEWERS.length === 0) throw new Error('BENCH_VIEWERS has no viewer count');
const MAX_N = VIEWERS[VIEWERS.length - 1]!;
const PORTS_PER_WORKER = Math.max(2000, MAX_N + 200);
if (RTC_MIN_PORT + (1 + WORKERS) * PORTS_PER_WORKER > 65535) throw new Error('BENCH_RTC_MIN_PORT too high for this many viewers/workers');

// ---------------------------------------------------------------------------------------------
// Output

const log = stampedLog();

// ---------------------------------------------------------------------------------------------
// Everything we start, for cleanup on any exit path.

const running: { ffmpeg: LoadSource | null; sink: UdpSink | null; single: types.Worker | null; pool: WorkerPoolT | null } = {
  ffmpeg: null,
  sink: null,
  single: null,
  pool: null,
};

function cleanupSync(): void {
  running.ffmpeg?.kill();
  running.ffmpeg = null;
  running.sink?.stop();
  running.sink = null;
  try {
    running.single?.close();
  } catch {
    /* already closed */
  }
  running.single = null;
  running.pool?.close();
  running.pool = null;
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    console.log(`\n${sig}: stopping ffmpeg, the UDP sink and the mediasoup workers`);
    cleanupSync();
    process.exit(130);
  });
}
process.on('exit', cleanupSync);

function pin(pid: number, cpu: number | string | null): void {
  if (cpu !== null) execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
  if (NICE !== 0) reniceThreads(pid, NICE);
}

// ---------------------------------------------------------------------------------------------
// Deployments: the producer pair and N viewers, on one router (single) or through MediaRoom.

interface Viewer {
  transport: types.PlainTransport;
  consumers: types.Consumer[];
  worker: types.Worker;
  /** mediasoup's local port: the source port the sink sees. */
  port: number;
}

interface Deployment {
  side: 'single' | 'cascade';
  workers: types.Worker[];
  ingress: Ingress;
  viewers: Viewer[];
  placement: string;
  setupMs: number;
  close(): void;
}

function setupProgress(side: string, n: number): (done: number) => void {
  let last = Date.now();
  return (done) => {
    if (done === n || Date.now() - last >= 2000) {
      last = Date.now();
      log(`  ${side} n=${n}: ${done}/${n} viewers set up`);
    }
  };
}

/** Side A: plain mediasoup, everything on one router of one worker. */
async function deploySingle(worker: types.Worker, n: number, sink: UdpSink, kind: ViewerTransport): Promise<Deployment> {
  const started = Date.now();
  const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
  try {
    const ingress = await openIngress(router);
    const progress = setupProgress('single', n);
    const viewers: Viewer[] = [];
    for (let i = 0; i < n; i += 1) {
      const transport = await connectViewer(router, sink.ports[i % sink.ports.length]!, kind);
      const consumers = [
        await transport.consume({ producerId: ingress.video.id, rtpCapabilities: consumerCapabilities(ingress.video, router.rtpCapabilities) }),
        await transport.consume({ producerId: ingress.audio.id, rtpCapabilities: consumerCapabilities(ingress.audio, router.rtpCapabilities) }),
      ];
      viewers.push({ transport, consumers, worker, port: transport.tuple.localPort });
      progress(i + 1);
    }
    return {
      side: 'single',
      workers: [worker],
      ingress,
      viewers,
      placement: `one router on worker pid ${worker.pid}: ${n} viewers`,
      setupMs: Date.now() - started,
      close: () => router.close(),
    };
  } catch (err) {
    router.close();
    throw err;
  }
}

/**
 * Side B: the LevelChat cascade, placed exactly as signaling does it (placeReceiver, transport on the
 * tier's router, attachConsumer, consume). MediaRoom counts each viewer's consumers (reserved at
 * placement: video + audio = 2) against consumersPerRouter and keeps every viewer on the origin until
 * it is full, so 2 × ceil(N / workers) fills the origin with ceil(N / workers) viewers, then opens one
 * edge per remaining worker, each taking the same share: an even spread over every worker.
 */
async function deployCascade(pool: WorkerPoolT, n: number, sink: UdpSink, kind: ViewerTransport): Promise<Deployment> {
  const started = Date.now();
  const consumersPerRouter = 2 * Math.ceil(n / pool.size);
  const room = await MediaRoom.open({ roomId: `bench-fanout-${n}`, preferredCodec: 'h264', consumersPerRouter }, pool, { local: new InProcessPipe() }, silent);
  try {
    const ingress = await openIngress(room.origin.router);
    const progress = setupProgress('cascade', n);
    const viewers: Viewer[] = [];
    for (let i = 0; i < n; i += 1) {
      const slot = await room.placeReceiver(2);
      const { tier } = slot;
      const transport = await connectViewer(tier.router, sink.ports[i % sink.ports.length]!, kind);
      const consumers: types.Consumer[] = [];
      for (const producer of [ingress.video, ingress.audio]) {
        await room.attachConsumer(slot, producer.id);
        consumers.push(await transport.consume({ producerId: producer.id, rtpCapabilities: consumerCapabilities(producer, tier.router.rtpCapabilities) }));
      }
      viewers.push({ transport, consumers, worker: tier.worker, port: transport.tuple.localPort });
      progress(i + 1);
    }
    const placement = room.allTiers
      .map((t) => `${t.isOrigin ? 'origin' : 'edge'} on w${pool.all.indexOf(t.worker)} (pid ${t.worker.pid}): ${t.transports} viewers`)
      .join('; ');
    return {
      side: 'cascade',
      workers: [...pool.all],
      ingress,
      viewers,
      placement: `consumersPerRouter=${consumersPerRouter}; ${placement}`,
      setupMs: Date.now() - started,
      close: () => room.close(),
    };
  } catch (err) {
    room.close();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Measurement

interface Snapshot {
  at: number;
  sink: SinkSnapshot;
  /** Worker CPU ms (user + system, /proc), in deployment.workers order, read with the sink's counts. */
  workerCpuMs: number[];
  /** The same as the worker reports it (getResourceUsage), whenever it answered: a cross-check. */
  usageCpuMs: number[];
  /** How long the worker took to answer the snapshot's channel requests. */
  channelMs: number;
  producer: { received: number; lost: number };
  ffmpegMs: number;
  sinkMs: number;
  nodeMs: number;
  machine: CpuTimes[];
  drops: Map<number, number>;
}

interface ConsumerCounts {
  mid: number;
  tookMs: number;
  perWorker: number[];
  total: number;
}

function nodeCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Each worker's CPU ms (user + system) from /proc, in deployment.workers order: no channel request. */
const procCpuMs = (d: Deployment): number[] => d.workers.map((w) => processCpuMs(w.pid));

async function snapshot(d: Deployment, sink: UdpSink, ffmpeg: LoadSource | null, watchPorts: number[]): Promise<Snapshot> {
  // What the window's figures divide by is read at one instant, with the sink's counts. The channel
  // requests come last and time nothing: a busy worker answers them late (25–100 s with SRTP viewers at
  // 96–100% of its core), which skewed the CPU of such rows when it came from getResourceUsage.
  const instant = {
    machine: machineCpu(),
    workerCpuMs: procCpuMs(d),
    ffmpegMs: ffmpeg ? processCpuMs(ffmpeg.pid) : 0,
    sinkMs: processCpuMs(sink.pid),
    nodeMs: nodeCpuMs(),
    drops: udpDrops(watchPorts),
  };
  const sinkSnap = await sink.snapshot();
  const asked = Date.now();
  const [usageCpuMs, producer] = await Promise.all([workerCpuMs(d.workers), producerCounts(d.ingress)]);
  return { ...instant, at: sinkSnap.at, sink: sinkSnap, usageCpuMs, producer, channelMs: Date.now() - asked };
}

async function consumerCounts(d: Deployment): Promise<ConsumerCounts> {
  const t0 = Date.now();
  const perWorker = d.workers.map(() => 0);
  await Promise.all(
    d.viewers.flatMap((v) =>
      v.consumers.map(async (c) => {
        const stats = await c.getStats();
        const out = stats.find((s) => s.type === 'outbound-rtp');
        const i = d.workers.indexOf(v.worker);
        perWorker[i] = (perWorker[i] ?? 0) + (out?.packetCount ?? 0);
      }),
    ),
  );
  const t1 = Date.now();
  return { mid: (t0 + t1) / 2, tookMs: t1 - t0, perWorker, total: perWorker.reduce((a, b) => a + b, 0) };
}

function perWorkerFromSink(d: Deployment, a: SinkSnapshot | null, b: SinkSnapshot): number[] {
  const out = d.workers.map(() => 0);
  for (const v of d.viewers) {
    const i = d.workers.indexOf(v.worker);
    out[i] = (out[i] ?? 0) + (b.perPort.get(v.port) ?? 0) - (a?.perPort.get(v.port) ?? 0);
  }
  return out;
}

interface RunResult {
  side: 'single' | 'cascade';
  /** Viewer transport label (plain, srtp-gcm128, ...). */
  transport: string;
  n: number;
  workers: number;
  placement: string;
  setupMs: number;
  windowS: number;
  fwdPps: number;
  fwdPpsPerWorker: number[];
  sinkPps: number;
  cpuPerWorker: number[];
  cores: number;
  ppsPerCore: number;
  ffmpegCpu: number;
  sinkCpu: number;
  nodeCpu: number;
  machine: { busy: number; user: number; system: number; softirq: number }[];
  /** What ffmpeg sent in the window (producer received + lost), per viewer (video + audio). */
  expectedPerViewer: number;
  ingressLoss: number;
  meanLoss: number;
  maxLoss: number;
  viewersOver1pct: number;
  viewersSilent: number;
  sinkDrops: number;
  ingressDrops: number;
  /** After ffmpeg stopped and everything drained: packets mediasoup says it sent vs the sink got. */
  drainedSent: number;
  drainedReceived: number;
  drainedProbation: number;
  /** CPU of everything else on the box during the window (machine busy − workers − ffmpeg − sink − node), in cores. */
  otherCores: number;
  statsMs: number;
  /** Packets ffmpeg sent over the whole stream (what each viewer should get). */
  streamExpected: number;
  streamIngressLoss: number;
  /** Worker CPU as getResourceUsage reports it, over the (later) moments the worker answered. */
  usageCpuPerWorker: number[];
  /** The slowest answer to a snapshot's channel requests. */
  channelMs: number;
}

/** `metrics`: render these every METRICS_SCRAPE_S s through the measured window (a "+metrics" row). */
async function runOne(side: 'single' | 'cascade', n: number, kind: ViewerTransport, sink: UdpSink, single: types.Worker, pool: WorkerPoolT, source: PreparedSource, metrics: Metrics | null = null): Promise<RunResult> {
  const transport = `${transportLabel(kind)}${metrics ? SCRAPED : ''}`;
  log(`== ${side} n=${n} ${transport}: setting up ${n} viewers (${2 * n} consumers, ${kind.kind === 'plain' ? 'plain RTP' : `SRTP ${kind.suite}`})`);
  await sink.reset();
  const d = side === 'single' ? await deploySingle(single, n, sink, kind) : await deployCascade(pool, n, sink, kind);
  try {
    log(`  ${side} n=${n}: set up in ${(d.setupMs / 1000).toFixed(1)} s — ${d.placement}`);
    const ingressPorts = [d.ingress.videoTransport, d.ingress.audioTransport].flatMap((t) => [t.tuple.localPort, t.rtcpTuple?.localPort ?? t.tuple.localPort]);
    const watchPorts = [...sink.ports, ...ingressPorts];

    const ffmpeg = await source.start(
      { videoPort: ingressPorts[0]!, videoRtcpPort: ingressPorts[1]!, audioPort: ingressPorts[2]!, audioRtcpPort: ingressPorts[3]! },
      { maxSeconds: WARMUP_S + DURATION_S + 600, videoKbps: VIDEO_KBPS, pinCpu: LOADGEN_CPU, nice: NICE },
    );
    running.ffmpeg = ffmpeg;
    log(`  ${side} n=${n}: ${SOURCE.kind} pid ${ffmpeg.pid} publishing${LOADGEN_CPU === null ? '' : ` (pinned to CPU ${LOADGEN_CPU})`}; warming up ${WARMUP_S} s`);
    await sleep(WARMUP_S * 1000);
    if (!ffmpeg.running) throw new Error(`ffmpeg exited during warm-up: ${ffmpeg.lastError || '(no output)'}`);
    const warm = await sink.snapshot();
    const reached = d.viewers.filter((v) => (warm.perPort.get(v.port) ?? 0) > 0).length;
    log(`  ${side} n=${n}: warm — ${reached}/${n} viewers receiving; measuring ${DURATION_S} s`);

    // No channel request inside the window: on a saturated worker 800 getStats took 28 s, and even the
    // per-second getResourceUsage took ~17 s each (a busy worker answers its channel late) and stretched
    // a 15 s window to minutes. The window counts come from the sink (+ its kernel drops), the
    // per-second CPU from /proc; consumer packetCount is checked once drained.
    const s0 = await snapshot(d, sink, ffmpeg, watchPorts);
    const scraper = metrics ? scrapeEvery(METRICS_SCRAPE_S, () => metrics.render().then((r) => r.text)) : undefined;
    let prevSink = s0.sink;
    let prevCpu = s0.workerCpuMs;
    let prevAt = s0.at;
    const every = DURATION_S > 20 ? 3 : 1;
    for (let s = every; s < DURATION_S; s += every) {
      await sleep(s0.at + s * 1000 - Date.now());
      const snap = await sink.snapshot();
      const cpu = procCpuMs(d);
      const dt = (snap.at - prevAt) / 1000;
      const perW = perWorkerFromSink(d, prevSink, snap);
      const workers = d.workers
        .map((_, i) => `w${i} ${kpps((perW[i] ?? 0) / dt)} @ ${pct(((cpu[i] ?? 0) - (prevCpu[i] ?? 0)) / 1000 / dt, 0)}`)
        .join(', ');
      log(`  ${side} n=${n} t=${String(s).padStart(2)}/${DURATION_S}s  sink ${kpps((snap.rtp - prevSink.rtp) / dt)} pkt/s  [${workers}]`);
      if (!ffmpeg.running) throw new Error(`ffmpeg exited while measuring: ${ffmpeg.lastError || '(no output)'}`);
      prevSink = snap;
      prevCpu = cpu;
      prevAt = snap.at;
    }
    await sleep(s0.at + DURATION_S * 1000 - Date.now());
    const s1 = await snapshot(d, sink, ffmpeg, watchPorts);
    if (scraper) log(`  ${side} n=${n} ${transport}: ${scrapeLine(METRICS_SCRAPE_S, await scraper.stop())}`);

    // Drained accounting: stop the feed, let in-flight packets land, then compare cumulative counts.
    await ffmpeg.stop();
    running.ffmpeg = null;
    await sleep(1000);
    const drainedConsumers = await consumerCounts(d);
    const drainedSink = await sink.snapshot();
    const drainedProducer = await producerCounts(d.ingress);
    if (drainedConsumers.tookMs > 1000) log(`  ${side} n=${n}: consumer stats of ${2 * n} consumers took ${(drainedConsumers.tookMs / 1000).toFixed(1)} s`);

    const windowMs = s1.at - s0.at;
    const windowS = windowMs / 1000;
    const sinkDropsWindow = sumDrops(
      new Map([...s0.drops].filter(([p]) => sink.ports.includes(p))),
      new Map([...s1.drops].filter(([p]) => sink.ports.includes(p))),
    );
    const cpuPerWorker = d.workers.map((_, i) => ((s1.workerCpuMs[i] ?? 0) - (s0.workerCpuMs[i] ?? 0)) / windowMs);
    const cores = cpuPerWorker.reduce((a, b) => a + b, 0);
    const fwdPpsPerWorker = perWorkerFromSink(d, s0.sink, s1.sink).map((p) => p / windowS);
    const fwdPps = (s1.sink.rtp - s0.sink.rtp + sinkDropsWindow) / windowS;
    const received = s1.producer.received - s0.producer.received;
    const lost = s1.producer.lost - s0.producer.lost;
    const expected = received + lost;
    // Loss per viewer over the whole stream (ffmpeg start → stop, drained): what the sink got from
    // that viewer's transport vs what ffmpeg sent (producer received + lost). Cumulative counts taken
    // with no traffic in flight, so no timing skew between the two sides.
    const streamExpected = drainedProducer.received + drainedProducer.lost;
    const losses = d.viewers.map((v) => {
      const got = drainedSink.perPort.get(v.port) ?? 0;
      return streamExpected > 0 ? Math.max(0, 1 - got / streamExpected) : 1;
    });
    const result: RunResult = {
      side,
      transport,
      n,
      workers: d.workers.length,
      placement: d.placement,
      setupMs: d.setupMs,
      windowS,
      fwdPps,
      fwdPpsPerWorker,
      sinkPps: (s1.sink.rtp - s0.sink.rtp) / windowS,
      cpuPerWorker,
      cores,
      ppsPerCore: cores > 0 ? fwdPps / cores : 0,
      ffmpegCpu: (s1.ffmpegMs - s0.ffmpegMs) / windowMs,
      sinkCpu: (s1.sinkMs - s0.sinkMs) / windowMs,
      nodeCpu: (s1.nodeMs - s0.nodeMs) / windowMs,
      machine: cpuDelta(s0.machine, s1.machine),
      expectedPerViewer: expected,
      ingressLoss: expected > 0 ? lost / expected : 0,
      meanLoss: losses.reduce((a, b) => a + b, 0) / Math.max(1, losses.length),
      maxLoss: Math.max(0, ...losses),
      viewersOver1pct: losses.filter((l) => l > 0.01).length,
      viewersSilent: losses.filter((l) => l >= 0.999).length,
      sinkDrops: sinkDropsWindow,
      ingressDrops: sumDrops(
        new Map([...s0.drops].filter(([p]) => ingressPorts.includes(p))),
        new Map([...s1.drops].filter(([p]) => ingressPorts.includes(p))),
      ),
      drainedSent: drainedConsumers.total,
      drainedReceived: drainedSink.rtp,
      drainedProbation: drainedSink.probation,
      otherCores: 0,
      statsMs: drainedConsumers.tookMs,
      streamExpected,
      streamIngressLoss: streamExpected > 0 ? drainedProducer.lost / streamExpected : 0,
      usageCpuPerWorker: d.workers.map((_, i) => ((s1.usageCpuMs[i] ?? 0) - (s0.usageCpuMs[i] ?? 0)) / windowMs),
      channelMs: Math.max(s0.channelMs, s1.channelMs),
    };
    const m = result.machine;
    const machineCores = m.slice(1).reduce((a, c) => a + c.busy, 0);
    result.otherCores = Math.max(0, machineCores - cores - result.ffmpegCpu - result.sinkCpu - result.nodeCpu);
    log(
      `  ${side} n=${n} ${transport}: ${kpps(fwdPps)} pkt/s forwarded on ${pct(cores, 0)} of a core → ${kpps(result.ppsPerCore)} pkt/s per core; ` +
        `loss mean ${pct(result.meanLoss, 2)} max ${pct(result.maxLoss, 2)}; load gen ffmpeg ${pct(result.ffmpegCpu, 0)} + sink ${pct(result.sinkCpu, 0)}; ` +
        `machine ${m.slice(1).map((c, i) => `cpu${i} ${pct(c.busy, 0)}`).join(' ')} (other processes ${pct(result.otherCores, 0)} of a core)`,
    );
    return result;
  } finally {
    if (running.ffmpeg) {
      await running.ffmpeg.stop();
      running.ffmpeg = null;
    }
    d.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function printTable(results: RunResult[]): void {
  const head = [
    pad('side', 8),
    pad('transport', 12),
    lpad('N', 5),
    lpad('fwd pkt/s', 10),
    pad('  per worker (pkt/s)', 24),
    pad('  CPU per worker', 18),
    lpad('cores', 6),
    lpad('pkt/s/core', 11),
    lpad('loss mean', 10),
    lpad('loss max', 9),
    lpad('>1%', 5),
    lpad('sink drops', 11),
    lpad('ingress lost', 13),
    lpad('ffmpeg+sink', 12),
    lpad('other', 6),
  ].join(' ');
  console.log(head);
  console.log('-'.repeat(head.length));
  for (const r of results) {
    console.log(
      [
        pad(r.side, 8),
        pad(r.transport, 12),
        lpad(String(r.n), 5),
        lpad(kpps(r.fwdPps), 10),
        pad('  ' + r.fwdPpsPerWorker.map((p, i) => `w${i} ${kpps(p)}`).join(' '), 24),
        pad('  ' + r.cpuPerWorker.map((c, i) => `w${i} ${pct(c, 0)}`).join(' '), 18),
        lpad(r.cores.toFixed(2), 6),
        lpad(kpps(r.ppsPerCore), 11),
        lpad(pct(r.meanLoss, 2), 10),
        lpad(pct(r.maxLoss, 2), 9),
        lpad(String(r.viewersOver1pct), 5),
        lpad(String(r.sinkDrops), 11),
        lpad(pct(r.ingressLoss, 2), 13),
        lpad(`${pct(r.ffmpegCpu, 0)}+${pct(r.sinkCpu, 0)}`, 12),
        lpad(pct(r.otherCores, 0), 6),
      ].join(' '),
    );
  }
}

function report(results: RunResult[]): void {
  console.log('\n=== Results (measured window per row) ===');
  console.log('  fwd pkt/s = RTP packets the sink received from the viewers\' transports + kernel drops on its sockets, in the window (per worker by transport port)');
  console.log('  cores = worker CPU (/proc user+system) in cores; loss = per viewer over the whole stream, sink-received vs what ffmpeg sent;');
  console.log('  ingress lost = producer packetsLost in the window; "other" = machine busy time not in this bench\'s processes (includes softirq not charged to them)');
  printTable(results);
  console.log('\nPer row details:');
  for (const r of results) {
    const m = r.machine;
    console.log(
      `  ${r.side} n=${r.n} ${r.transport}: window ${r.windowS.toFixed(1)} s; sink received ${kpps(r.sinkPps)} pkt/s; ffmpeg sent ${Math.round(r.expectedPerViewer / r.windowS)} pkt/s ` +
        `(each viewer should get that; ${r.streamExpected} over the whole stream, ${pct(r.streamIngressLoss, 2)} lost at ingress); drained check: consumers' packetCount total ${r.drainedSent}, sink got ${r.drainedReceived} ` +
        `(${r.drainedSent > 0 ? pct(1 - r.drainedReceived / r.drainedSent, 3) : 'n/a'} missing; + ${r.drainedProbation} mediasoup probation packets, not counted); ingress socket drops ${r.ingressDrops}; ` +
        `silent viewers ${r.viewersSilent}; node ${pct(r.nodeCpu, 0)}; machine ${m
          .slice(1)
          .map((c, i) => `cpu${i} ${pct(c.busy, 0)} (usr ${pct(c.user, 0)} sys ${pct(c.system, 0)} softirq ${pct(c.softirq, 0)})`)
          .join(', ')}; ` +
        `worker CPU per getResourceUsage ${r.usageCpuPerWorker.map((c, i) => `w${i} ${pct(c, 0)}`).join(' ')} (the worker answered within ${(r.channelMs / 1000).toFixed(1)} s); setup ${(r.setupMs / 1000).toFixed(1)} s; drained consumer stats took ${r.statsMs} ms; ${r.placement}`,
    );
  }

  console.log('\n=== Cascade / single, packets/s per core used (worker CPU only) ===');
  const ratios: { n: number; ratio: number }[] = [];
  for (const n of VIEWERS) for (const kind of TRANSPORTS) {
    const label = transportLabel(kind);
    const a = results.find((r) => r.side === 'single' && r.n === n && r.transport === label);
    const b = results.find((r) => r.side === 'cascade' && r.n === n && r.transport === label);
    if (!a || !b || a.ppsPerCore === 0) continue;
    const ratio = b.ppsPerCore / a.ppsPerCore;
    ratios.push({ n, ratio });
    console.log(
      `  N=${lpad(String(n), 4)} ${pad(label, 11)}: single ${kpps(a.ppsPerCore)} pkt/s/core (${a.cores.toFixed(2)} cores), cascade ${kpps(b.ppsPerCore)} pkt/s/core ` +
        `(${b.cores.toFixed(2)} cores) → ratio ${ratio.toFixed(3)}×; throughput ratio ${(b.fwdPps / a.fwdPps).toFixed(3)}×`,
    );
  }

  const points = results.map((r): CostPoint => ({
    transport: r.transport,
    setup: r.side === 'single' ? '1 worker' : `cascade ${r.workers}w`,
    workers: r.workers,
    viewers: r.n,
    fwdPps: r.fwdPps,
    cores: r.cores,
    perViewerPps: r.windowS > 0 ? r.expectedPerViewer / r.windowS : 0,
    meanLoss: r.meanLoss,
    maxLoss: r.maxLoss,
  }));
  printCostCurve(points, `${VIDEO_KBPS / 1000} Mb/s H.264 + Opus`);
  printSrtpTargets(points);

  console.log('\n=== Targets ===');
  const biggest = ratios[ratios.length - 1];
  if (biggest) {
    const all = ratios.every((r) => r.ratio >= 0.95);
    console.log(
      `  cascade ≥ 0.95× single router per core: ${biggest.ratio >= 0.95 ? 'PASS' : 'MISS'} at the largest N=${biggest.n} (${biggest.ratio.toFixed(3)}×); ` +
        `${all ? 'every' : 'not every'} N passes (${ratios.map((r) => `${r.n}: ${r.ratio.toFixed(2)}×`).join(', ')})`,
    );
  } else {
    console.log('  cascade ≥ 0.95× single router per core: NOT MEASURED (no N with both sides)');
  }
  const cascades = results.filter((r) => r.side === 'cascade');
  const top = cascades[cascades.length - 1];
  if (top) {
    const share = top.fwdPpsPerWorker.map((p) => (top.fwdPps > 0 ? p / top.fwdPps : 0));
    const even = 1 / top.workers;
    const ok = share.every((s) => s >= 0.8 * even) && top.cpuPerWorker.every((c) => c >= 0.05);
    console.log(
      `  cascade uses every core (each of the ${top.workers} workers forwards ≥ 80% of an even share and is ≥ 5% busy, at N=${top.n}): ${ok ? 'PASS' : 'MISS'} ` +
        `(${share.map((s, i) => `w${i} ${pct(s, 0)} of packets @ ${pct(top.cpuPerWorker[i] ?? 0, 0)} CPU`).join(', ')})`,
    );
  }
  const big = cascades.filter((r) => r.n >= 1000);
  if (big.length) {
    for (const r of big) {
      console.log(
        `  ≥ 1,000 viewers of one broadcast per ${NCPU}-core node at < 1% loss: ${r.meanLoss < 0.01 ? 'PASS' : 'MISS'} at N=${r.n} ` +
          `(mean loss ${pct(r.meanLoss, 2)}, worst viewer ${pct(r.maxLoss, 2)}, ${r.viewersOver1pct} viewers over 1%; load generator on the same cores)`,
      );
    }
  } else {
    const perViewer = top ? top.fwdPps / top.n : 0;
    const est = top && perViewer > 0 ? Math.floor((NCPU * top.ppsPerCore) / perViewer) : 0;
    console.log(
      `  ≥ 1,000 viewers of one broadcast per ${NCPU}-core node at < 1% loss: NOT TRIED (it is the cascade side's; run BENCH_SIDES=cascade BENCH_VIEWERS=1000 to try it).` +
        (est ? ` Estimate only: ${NCPU} cores × ${kpps(top!.ppsPerCore)} pkt/s/core ÷ ${Math.round(perViewer)} pkt/s per viewer ≈ ${est} viewers at 100% of every core, with no load generator on the box.` : ''),
    );
  }
}

/**
 * Issue 18's goals: SRTP viewers per worker core ≥ 90% of plain RTP's (same run, same N and setup),
 * and ≥ 500 SRTP viewers of one 1.5 Mb/s broadcast per dedicated worker core at < 1% loss (the single
 * side: its worker alone on its CPU, the load generator pinned elsewhere).
 */
function printSrtpTargets(points: CostPoint[]): void {
  console.log('\n=== SRTP viewer cost ===');
  const ratios = srtpVersusPlain(points);
  if (ratios.length === 0) console.log('  SRTP ≥ 90% of plain RTP viewers per core: NOT MEASURED (run BENCH_VIEWER_TRANSPORT=plain,srtp)');
  for (const r of ratios) {
    console.log(`  SRTP ≥ 90% of plain RTP viewers per core, ${r.setup} N=${r.viewers} ${r.transport}: ${r.ratio >= 0.9 ? 'PASS' : 'MISS'} (${(100 * r.ratio).toFixed(1)}%)`);
  }
  // One pair moves ±10% on a shared machine: the median of several (an N listed more than once) is the figure.
  for (const group of new Set(ratios.map((r) => `${r.setup}, ${r.transport}`))) {
    const pairs = spread(ratios.filter((r) => `${r.setup}, ${r.transport}` === group).map((r) => r.ratio));
    if (pairs.n < 3) continue;
    console.log(
      `  SRTP ≥ 90% of plain RTP viewers per core, median of ${pairs.n} pairs (${group}): ${pairs.p50 >= 0.9 ? 'PASS' : 'MISS'} (${pct(pairs.p50, 1)}; ` +
        `pairs ${pct(pairs.min!, 1)}–${pct(pairs.max!, 1)})`,
    );
  }
  // The same goal as capacity: the largest N each transport served at < 1% loss, in steps of the N tried.
  const caps = capacities(points);
  for (const base of caps.filter((c) => c.transport === 'plain')) {
    for (const other of caps.filter((c) => c.setup === base.setup && c.transport.startsWith('srtp'))) {
      const ratio = capacityRatio(base, other);
      if (!ratio) continue;
      const served = (c: Capacity) => `${c.transport} ${c.held!.viewers}${c.lost ? ` (${c.lost.viewers} lost ${pct(c.lost.meanLoss, 2)})` : ' (no N above it lost)'}`;
      const verdict = ratio.low >= 0.9 ? 'PASS' : ratio.high !== undefined && ratio.high < 0.9 ? 'MISS' : 'NOT DECIDED (list N in finer steps)';
      console.log(
        `  SRTP ≥ 90% of plain RTP viewers per core, as capacity at < 1% loss (${base.setup}): ${verdict} (between ${pct(ratio.low, 1)} and ` +
          `${ratio.high === undefined ? '?' : pct(ratio.high, 1)}: ${served(base)}, ${served(other)})`,
      );
    }
  }
  const dedicated = SINGLE_CPU !== null && LOADGEN_CPUS.length > 0 && !LOADGEN_CPUS.includes(SINGLE_CPU);
  // One verdict from every single-worker SRTP row with N ≥ 500: some N held (< 1% loss) on a dedicated core.
  const tried = points.filter((x) => x.setup === '1 worker' && x.transport.startsWith('srtp') && x.viewers >= 500);
  if (tried.length > 0) {
    const held = tried.filter((p) => p.meanLoss < 0.01);
    const row = (p: CostPoint) => `N=${p.viewers} ${p.transport}: loss mean ${pct(p.meanLoss, 2)}, worst ${pct(p.maxLoss, 2)}, worker ${pct(p.cores, 0)}`;
    console.log(
      `  ≥ 500 SRTP viewers per dedicated worker core at < 1% loss: ${held.length > 0 && dedicated ? 'PASS' : 'MISS'} (worker on CPU ${SINGLE_CPU ?? 'any'}, ` +
        `load generator on CPU ${LOADGEN_CPU ?? 'any'}${dedicated ? '' : ': NOT a dedicated core'}; held: ${held.map(row).join('; ') || 'none'}` +
        `${tried.length > held.length ? `; past capacity: ${tried.filter((p) => p.meanLoss >= 0.01).map(row).join('; ')}` : ''})`,
    );
  }
  const best = points.filter((x) => x.setup === '1 worker' && x.transport.startsWith('srtp') && x.meanLoss < 0.01).sort((a, b) => b.viewers - a.viewers)[0];
  if (best) console.log(`  largest SRTP N on one worker at < 1% loss: ${best.viewers} (${best.transport}, ${pct(best.cores, 0)} of a core; ${viewersPerCore(best).toFixed(0)} viewers/core at 100%)`);
}

// ---------------------------------------------------------------------------------------------
// Main

const silent = createLogger('silent');

async function main(): Promise<void> {
  let ffmpegVersion = 'no ffmpeg';
  try {
    ffmpegVersion = execFileSync('ffmpeg', ['-hide_banner', '-version'], { encoding: 'utf8' }).split('\n')[0] ?? '?';
  } catch {
    if (SOURCE.kind === 'ffmpeg') throw new Error('ffmpeg is not installed: use BENCH_SOURCE=replay:<recording> (bench/record-feed.ts)');
  }
  const cpuModel = os.cpus()[0]?.model ?? '?';
  const pkg = { version: mediasoup.version };
  console.log('LevelChat bench: SFU fan-out, plain mediasoup (one router, one worker) vs LevelChat cascade (MediaRoom)');
  console.log(`  machine: ${NCPU} cores (${cpuModel}), loadavg ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${os.release()}`);
  console.log(`  software: node ${process.version}, mediasoup ${pkg.version} (worker ${mediasoup.workerBin}), ${ffmpegVersion}`);
  console.log(`  viewers ${VIEWERS.join(', ')}; window ${DURATION_S} s after ${WARMUP_S} s warm-up; cascade workers ${WORKERS}; sides interleaved per N (single, then cascade)`);
  console.log(
    `  viewers: one PlainTransport (rtcp-mux) + video + audio consumer each → C recvmmsg sink on ${SINK_SOCKETS} loopback sockets, ${sinkPollUs() ? `read every ${sinkPollUs()} µs (wakes nobody)` : 'woken by epoll'}; ` +
      `viewer transports per N: ${TRANSPORTS.map((t) => (t.kind === 'plain' ? 'plain RTP' : `SRTP ${t.suite}`)).join(', ')}; sides ${SIDES.join(', ')}`,
  );
  if (LOADGEN_CPU !== null) {
    // This process too, at the load generator's priority, so that it never runs on the worker's CPU nor
    // waits behind the nice -20 sink. (The worker's late channel answers at saturation are the worker's.)
    pin(process.pid, LOADGEN_CPU);
    console.log(
      `  pinning (taskset, BENCH_LOADGEN_CPUS / BENCH_WORKER_CPUS): load generator (${SOURCE.kind} + sink) and this process on CPU ${LOADGEN_CPU}; single-router worker on CPU ${SINGLE_CPU}; ` +
        `cascade worker i on CPU [${WORKER_CPUS.join(',')}][i mod ${WORKER_CPUS.length}]` +
        ([SINGLE_CPU!, ...poolCpus()].some((c) => LOADGEN_CPUS.includes(c))
          ? `. The load generator shares CPU ${LOADGEN_CPU} with a worker: say so next to any figure from such a row.`
          : '; the load generator has its own CPUs.'),
    );
  } else {
    console.log(`  no pinning (BENCH_PIN=0 or one core): the load generator (ffmpeg + sink) shares the ${NCPU} cores with the workers.`);
  }
  console.log(
    NICE !== 0
      ? `  priority: workers, ffmpeg, the sink and this process run at nice ${NICE}, ahead of other work on the box (see the "other" column).`
      : '  priority: unchanged (BENCH_NICE=0); other work on the box competes equally (see the "other" column).',
  );
  if (VIEWERS.some((n) => n >= 1000)) console.log('  note: past one worker\'s saturation (~450 viewers) transport/consumer creation slows down a lot');

  log('compiling and starting the UDP sink (gcc -O2, temp dir)');
  const sink = await UdpSink.start(SINK_SOCKETS, LOADGEN_CPU, NICE);
  running.sink = sink;
  log(`  sink pid ${sink.pid} on 127.0.0.1 ports ${sink.ports.join(',')}`);

  log(`starting the plain mediasoup worker (ports ${RTC_MIN_PORT}-${RTC_MIN_PORT + PORTS_PER_WORKER - 1})`);
  const single = await mediasoup.createWorker({ logLevel: 'warn', rtcMinPort: RTC_MIN_PORT, rtcMaxPort: RTC_MIN_PORT + PORTS_PER_WORKER - 1 });
  running.single = single;
  pin(single.pid, SINGLE_CPU);
  log(`  worker pid ${single.pid}${SINGLE_CPU === null ? '' : ` pinned to CPU ${SINGLE_CPU}`}`);
  const source = await prepareSource(SOURCE, 'single', WARMUP_S + DURATION_S + 5, { videoKbps: VIDEO_KBPS, pinCpu: LOADGEN_CPU, nice: NICE }, log);
  log(`  publisher: ${source.describe}`);

  const poolMin = RTC_MIN_PORT + PORTS_PER_WORKER;
  log(`starting the LevelChat WorkerPool: ${WORKERS} workers (ports ${poolMin}-${poolMin + WORKERS * PORTS_PER_WORKER - 1})`);
  const pool = await WorkerPool.create({ count: WORKERS, rtcMinPort: poolMin, rtcMaxPort: poolMin + WORKERS * PORTS_PER_WORKER - 1, logger: silent });
  running.pool = pool;
  pool.all.forEach((w, i) => pin(w.pid, cascadeCpu(i)));
  // The observers count in every row (as on a node); only the "+metrics" rows render (read stats).
  const metrics = new Metrics();
  const sfuMetrics = SfuMetrics.forPool(pool);
  sfuMetrics.watch(single, 'single');
  sfuMetrics.register(metrics);
  log(`  pool workers ${pool.all.map((w, i) => `w${i} pid ${w.pid}${PIN ? ` on CPU ${cascadeCpu(i)}` : ''}`).join(', ')}`);

  const results: RunResult[] = [];
  try {
    for (const n of VIEWERS) {
      for (const kind of TRANSPORTS) {
        for (const side of SIDES) {
          results.push(await runOne(side, n, kind, sink, single, pool, source));
          if (METRICS_SCRAPE_S > 0) {
            await sleep(1500);
            results.push(await runOne(side, n, kind, sink, single, pool, source, metrics));
          }
          await sleep(1500);
        }
      }
    }
  } finally {
    source.dispose();
  }
  report(results);
  if (METRICS_SCRAPE_S > 0) printScrapeCost(results, METRICS_SCRAPE_S, (line) => console.log(line));
  console.log(`\n  loadavg at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

try {
  await main();
} catch (err) {
  console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
} finally {
  cleanupSync();
}
