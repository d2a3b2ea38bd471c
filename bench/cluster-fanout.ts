// Bench: the viewers of one broadcast spread over K LevelChat node processes on this machine (K = 1, 2,
// 3 in turn), clustered over one Redis as in production: forwarded packets/s per node and what piping
// across processes costs compared with in-process only.
//
//   npm run bench:cluster-fanout
//   (= npm run build && node dist/bench/cluster-fanout.js; MEDIASOUP_WORKER_BIN defaults to .cache/)
//
// Env: BENCH_VIEWERS (300 viewers in all; a comma list runs every K for each), BENCH_NODES (1,2,3),
// BENCH_DURATION_S (10, measured window per configuration), BENCH_WARMUP_S (3, after ffmpeg starts),
// BENCH_RTC_MIN_PORT (50000: node i takes the next slice of ports), BENCH_NICE (-10: nice value for the
// workers, ffmpeg and the sink; 0 leaves priorities alone). Viewer transports (bench/lib/viewer-transport.ts):
// BENCH_VIEWER_TRANSPORT (srtp; comma list of plain, srtp: every K runs each), BENCH_SRTP_SUITE
// (AEAD_AES_128_GCM, what browsers negotiate with our worker). BENCH_LOADGEN_CPUS: pin ffmpeg and the
// sink there (taskset list; unset: nothing is pinned and the load generator shares every core).
//
// This process starts one embedded redis-server (loopback) and the C UDP sink, then for each K forks
// itself K times (`--node <i>`). Every node process is a cluster node in miniature: a WorkerPool of one
// mediasoup worker, RouterDirectory + ClusterBus + PipeServer + RemotePipe on the shared Redis, and a
// MediaRoom for the broadcast, driven by this process over IPC. Node 0 is the origin: its room holds
// the two PlainTransport producers that ffmpeg (started here) publishes into. Every node takes V/K
// viewers (PlainTransport + video + audio consumer, sending to the sink): on the origin they consume
// its producers in-process; on the other nodes MediaRoom.attachConsumer(…, { id: originRouterId })
// pipes each producer once into the node's router (RemotePipe: PipeTransports over 127.0.0.1,
// negotiated over the Redis bus), exactly as signaling does for a track published on another node.
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { types } from 'mediasoup';
// Types only (erased): the modules are loaded after MEDIASOUP_WORKER_BIN is settled.
import type { MediaRoom as MediaRoomT } from '../src/sfu/media-room.js';
import type { WorkerPool as WorkerPoolT } from '../src/sfu/worker-pool.js';
import type { ClusterBus as ClusterBusT } from '../src/cluster/cluster-bus.js';
import type { RemotePipe as RemotePipeT } from '../src/cluster/remote-pipe.js';
import type { PipeNetwork } from '../src/cluster/pipe-messages.js';
import type { ChildProcesses as ChildProcessesT } from '../common/child-processes.js';
import type { DataDir as DataDirT } from '../common/data-dir.js';
import type { Redis } from 'ioredis';
import { projectRoot } from '../common/compiled-entry.js';
import { useCachedMediasoupWorker } from '../src/runtime/mediasoup-binary.js';
import { consumerCapabilities } from '../src/sfu/consumer-capabilities.js';
import { envIntList, envNumber } from './lib/env.js';
import { FfmpegPublisher, type PublisherTarget } from './lib/ffmpeg-publisher.js';
import { kpps, lpad, pad, pct } from './lib/format.js';
import { RpcChild, serveCalls } from './lib/ipc-rpc.js';
import { connectViewer, openIngress, producerCounts, publisherTarget, workerCpuMs, type Ingress } from './lib/plain-fanout.js';
import { cpuDelta, machineCpu, processCpuMs, reniceThreads, type CpuTimes } from './lib/procfs.js';
import { sinkPollUs, UdpSink, type SinkSnapshot } from './lib/udp-sink.js';
import { runBench } from './lib/run-bench.js';
import { printCostCurve, srtpVersusPlain } from './lib/cost-curve.js';
import { transportLabel, viewerTransportsFromEnv, type ViewerTransport } from './lib/viewer-transport.js';
import { stampedLog } from './lib/log.js';
import { sleep } from './lib/wait.js';

// mediasoup reads MEDIASOUP_WORKER_BIN when first imported; the node processes inherit it.
useCachedMediasoupWorker();

// ---------------------------------------------------------------------------------------------
// Settings

const VIEWERS = envIntList('BENCH_VIEWERS', '300');
const NODE_COUNTS = envIntList('BENCH_NODES', '1,2,3');
const TRANSPORTS = viewerTransportsFromEnv();
const LOADGEN_CPUS = process.env.BENCH_LOADGEN_CPUS || null;
const DURATION_S = envNumber('BENCH_DURATION_S', 10);
const WARMUP_S = envNumber('BENCH_WARMUP_S', 3);
const RTC_MIN_PORT = Math.round(envNumber('BENCH_RTC_MIN_PORT', 50000));
const NICE = Number(process.env.BENCH_NICE ?? -10);
const SINK_SOCKETS = 8;
const VIDEO_KBPS = 1500;
const NCPU = os.cpus().length;
/** Viewers a node adds per IPC call: small enough for a progress line every second or two. */
const VIEWER_BATCH = 10;
const NETWORK: PipeNetwork = { listenIp: '127.0.0.1', announcedIp: undefined, enableSrtp: false };

if (VIEWERS.length === 0) throw new Error('BENCH_VIEWERS has no viewer count');
if (NODE_COUNTS.length === 0) throw new Error('BENCH_NODES has no node count');
const MAX_NODES = NODE_COUNTS[NODE_COUNTS.length - 1]!;
/** Each node's own port slice: its viewers (all of them when K=1), ingress and pipe transports. */
const PORTS_PER_NODE = Math.max(1000, VIEWERS[VIEWERS.length - 1]! + 200);
if (RTC_MIN_PORT + MAX_NODES * PORTS_PER_NODE > 65535) throw new Error('BENCH_RTC_MIN_PORT too high for this many viewers/nodes');

const nodeId = (index: number) => `bench-node-${index}`;

// ---------------------------------------------------------------------------------------------
// Output

const log = stampedLog('cluster-fanout ', 5);

/** Calls `print` at most every `ms`, unless forced (the last line of a phase). */
function throttled(ms: number, print: () => void): (force?: boolean) => void {
  let last = Date.now();
  return (force = false) => {
    if (!force && Date.now() - last < ms) return;
    last = Date.now();
    print();
  };
}

// ---------------------------------------------------------------------------------------------
// The node process: one cluster node, driven over IPC.

/** Which router holds the broadcast, on which node: what an edge needs to pipe from it. */
interface OriginRef {
  node: string;
  routerId: string;
  producerIds: string[];
}

type NodeRequest =
  | { type: 'open-room'; consumersPerRouter: number }
  | { type: 'open-ingress' }
  | { type: 'add-viewers'; sinkPorts: number[]; origin: OriginRef; kind: ViewerTransport }
  | { type: 'counts' };

interface NodeReady {
  pid: number;
  workerPid: number;
}

interface IngressInfo {
  origin: OriginRef;
  target: PublisherTarget;
}

/** Cumulative counters of one node, read together. */
interface NodeCounts {
  /** Worker CPU per getResourceUsage (user + system ms), and when it was read. */
  workerCpuMs: number;
  cpuAt: number;
  /** Mid-time of the stats requests (they take a while on a busy worker). */
  statsAt: number;
  statsMs: number;
  /** RTP packets sent by this node's viewer consumers (consumer stats packetCount). */
  forwarded: number;
  /** RTP packets sent into pipes to other nodes (the origin's pipe consumers). */
  piped: number;
  /** The origin's producers: what ffmpeg delivered. */
  producer: { received: number; lost: number } | null;
  /** The node process itself (control plane, IPC): user + system ms. */
  nodeCpuMs: number;
}

class BenchNode {
  private room: MediaRoomT | null = null;
  private ingress: Ingress | null = null;
  private readonly viewerConsumers: types.Consumer[] = [];
  private readonly pipeConsumers = new Set<types.Consumer>();

  private constructor(
    readonly id: string,
    private readonly redis: Redis,
    private readonly pool: WorkerPoolT,
    private readonly bus: ClusterBusT,
    private readonly remotePipe: RemotePipeT,
  ) {}

  static async start(index: number): Promise<BenchNode> {
    const { WorkerPool } = await import('../src/sfu/worker-pool.js');
    const { RouterDirectory } = await import('../src/cluster/router-directory.js');
    const { ClusterBus } = await import('../src/cluster/cluster-bus.js');
    const { PipeServer } = await import('../src/cluster/pipe-server.js');
    const { RemotePipe } = await import('../src/cluster/remote-pipe.js');
    const { connectRedis } = await import('../src/runtime/redis.js');
    const id = nodeId(index);
    const rtcMinPort = RTC_MIN_PORT + index * PORTS_PER_NODE;
    const redis = await connectRedis(process.env.BENCH_REDIS_URL!, id);
    const pool = await WorkerPool.create({ count: 1, rtcMinPort, rtcMaxPort: rtcMinPort + PORTS_PER_NODE - 1, logger: silent });
    // Before any router exists: the directory only sees routers created after it.
    const routers = new RouterDirectory(pool);
    const bus = await ClusterBus.connect(redis, id, silent);
    // Every bench node is on loopback, where the node registry would place it.
    const loopback = async () => NETWORK.listenIp;
    new PipeServer(bus, routers, NETWORK, loopback, silent); // answers pipe requests for this node's routers from now on
    if (NICE !== 0) reniceThreads(pool.all[0]!.pid, NICE);
    return new BenchNode(id, redis, pool, bus, new RemotePipe(bus, NETWORK, loopback, silent));
  }

  get worker(): types.Worker {
    return this.pool.all[0]!;
  }

  handle(request: NodeRequest): Promise<unknown> {
    switch (request.type) {
      case 'open-room':
        return this.openRoom(request.consumersPerRouter);
      case 'open-ingress':
        return this.openIngress();
      case 'add-viewers':
        return this.addViewers(request.sinkPorts, request.origin, request.kind);
      case 'counts':
        return this.counts();
    }
  }

  /** The broadcast's room on this node (one router: the pool has one worker). */
  private async openRoom(consumersPerRouter: number): Promise<void> {
    const { MediaRoom } = await import('../src/sfu/media-room.js');
    const { InProcessPipe } = await import('../src/sfu/producer-pipe.js');
    this.room = await MediaRoom.open({ roomId: 'bench-cluster-fanout', preferredCodec: 'h264', consumersPerRouter }, this.pool, { local: new InProcessPipe(), remote: this.remotePipe }, silent);
  }

  /** Only on the origin: ffmpeg's producers, and a watch on the pipes other nodes open from them. */
  private async openIngress(): Promise<IngressInfo> {
    const router = this.requireRoom().origin.router;
    router.observer.on('newtransport', (transport) =>
      transport.observer.on('newconsumer', (consumer) => {
        if (consumer.type !== 'pipe') return;
        this.pipeConsumers.add(consumer);
        consumer.observer.once('close', () => this.pipeConsumers.delete(consumer));
      }),
    );
    this.ingress = await openIngress(router);
    return {
      origin: { node: this.id, routerId: router.id, producerIds: [this.ingress.video.id, this.ingress.audio.id] },
      target: publisherTarget(this.ingress),
    };
  }

  /**
   * One viewer per sink port, placed as signaling does it: placeReceiver, a transport on the tier's
   * router, attachConsumer (piped from the origin's node when that is another node), consume.
   */
  private async addViewers(sinkPorts: number[], origin: OriginRef, kind: ViewerTransport): Promise<number[]> {
    const room = this.requireRoom();
    const remoteOrigin = origin.node === this.id ? undefined : { id: origin.routerId };
    const ports: number[] = [];
    for (const sinkPort of sinkPorts) {
      const slot = await room.placeReceiver(origin.producerIds.length);
      const { router } = slot.tier;
      const transport = await connectViewer(router, sinkPort, kind);
      for (const producerId of origin.producerIds) {
        // What signaling negotiates (features/media.ts): the piped copy's type, or the producer's here.
        const copy = await room.attachConsumer(slot, producerId, remoteOrigin);
        const local = [this.ingress?.video, this.ingress?.audio].find((p) => p?.id === producerId);
        this.viewerConsumers.push(await transport.consume({ producerId, rtpCapabilities: consumerCapabilities(copy ?? local, router.rtpCapabilities) }));
      }
      ports.push(transport.tuple.localPort);
    }
    return ports;
  }

  private async counts(): Promise<NodeCounts> {
    const before = Date.now();
    const [workerMs] = await workerCpuMs([this.worker]);
    const t0 = Date.now();
    const [forwarded, piped, producer] = await Promise.all([
      packetsSent(this.viewerConsumers),
      packetsSent([...this.pipeConsumers]),
      this.ingress ? producerCounts(this.ingress) : null,
    ]);
    const t1 = Date.now();
    const own = process.cpuUsage();
    return { workerCpuMs: workerMs!, cpuAt: (before + t0) / 2, statsAt: (t0 + t1) / 2, statsMs: t1 - t0, forwarded, piped, producer, nodeCpuMs: (own.user + own.system) / 1000 };
  }

  async stop(): Promise<void> {
    this.room?.close();
    await this.bus.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
    this.pool.close();
  }

  private requireRoom(): MediaRoomT {
    if (!this.room) throw new Error('open-room first');
    return this.room;
  }
}

async function packetsSent(consumers: types.Consumer[]): Promise<number> {
  const stats = await Promise.all(consumers.map((c) => c.getStats()));
  return stats.flat().reduce((sum, s) => sum + (s.type === 'outbound-rtp' ? s.packetCount : 0), 0);
}

async function nodeMain(index: number): Promise<void> {
  // Ctrl-C reaches the whole process group: the bench process decides when the nodes stop.
  process.on('SIGINT', () => {});
  let node: BenchNode | undefined;
  await serveCalls<NodeRequest>({
    start: async () => {
      node = await BenchNode.start(index);
      return { pid: process.pid, workerPid: node.worker.pid } satisfies NodeReady;
    },
    handle: (request) => node!.handle(request),
    stop: async () => node?.stop(),
  });
}

// ---------------------------------------------------------------------------------------------
// The bench process: Redis, the sink, ffmpeg, and K node processes per configuration.

type NodeProcess = RpcChild<NodeRequest, NodeReady>;

interface RedisRun {
  children: ChildProcessesT;
  dataDir: DataDirT;
  url: string;
  pid: number;
}

/** Everything started here, for cleanup on any exit path. */
const running: { tmp: string | null; redis: RedisRun | null; sink: UdpSink | null; ffmpeg: FfmpegPublisher | null; nodes: NodeProcess[] } = {
  tmp: null,
  redis: null,
  sink: null,
  ffmpeg: null,
  nodes: [],
};

async function startRedis(tmp: string): Promise<RedisRun> {
  const { ChildProcesses } = await import('../common/child-processes.js');
  const { DataDir } = await import('../common/data-dir.js');
  const { startEmbeddedRedis } = await import('../src/runtime/redis.js');
  const dataDir = DataDir.acquire(path.join(tmp, 'data'));
  const children = new ChildProcesses(silent);
  const { url } = await startEmbeddedRedis(children, dataDir, silent);
  return { children, dataDir, url, pid: children.running.find((c) => c.name === 'redis-server')?.pid ?? -1 };
}

async function stopRedis(redis: RedisRun): Promise<void> {
  await redis.children.stopAll();
  redis.dataDir.release();
}

/** Forks K node processes and waits until each runs its worker and is on the cluster bus. */
async function startNodes(k: number, redisUrl: string): Promise<{ nodes: NodeProcess[]; ready: NodeReady[] }> {
  const nodes = Array.from({ length: k }, (_, i) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--node', String(i)], {
      env: { ...process.env, BENCH_REDIS_URL: redisUrl },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new RpcChild<NodeRequest, NodeReady>(proc, `node${i}`);
  });
  running.nodes = nodes;
  return { nodes, ready: await Promise.all(nodes.map((n) => n.ready)) };
}

async function stopNodes(): Promise<void> {
  await Promise.all(running.nodes.map((n) => n.stop()));
  running.nodes = [];
}

async function stopFfmpeg(): Promise<void> {
  await running.ffmpeg?.stop();
  running.ffmpeg = null;
}

let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  // Ctrl-C stops redis-server too (same process group): from now on nobody restarts it. Before the
  // first await, so the signal handler gets here before redis-server's exit is seen.
  running.redis?.children.removeAllListeners('unexpected-exit');
  return (cleaning ??= (async () => {
    await stopFfmpeg();
    await stopNodes();
    if (running.redis) await stopRedis(running.redis);
    running.redis = null;
    cleanupSync();
  })());
}

/** Last resort (process exit): kill what is left. ChildProcesses kills redis-server by itself. */
function cleanupSync(): void {
  running.ffmpeg?.kill();
  running.ffmpeg = null;
  for (const n of running.nodes) n.kill();
  running.nodes = [];
  running.sink?.stop();
  running.sink = null;
  if (running.tmp) rmSync(running.tmp, { recursive: true, force: true });
  running.tmp = null;
}

// ---------------------------------------------------------------------------------------------
// One configuration: K nodes, V viewers

interface NodeResult {
  name: string;
  role: 'origin' | 'edge';
  viewers: number;
  /** Viewer consumers' packets/s (packetCount deltas). */
  fwdPps: number;
  /** What the sink got from this node's viewers, packets/s, read at the same moments as the CPU. */
  sinkPps: number;
  /** Worker CPU from /proc, in cores. */
  cpu: number;
  /** The same from getResourceUsage (over the IPC reads' window): a cross-check. */
  cpuPerResourceUsage: number;
  /** Worker CPU µs per forwarded packet (counted at the sink). */
  usPerPkt: number;
  pipedPps: number;
  nodeCpu: number;
  lossP50: number;
  lossMax: number;
  silent: number;
  drainedSent: number;
  drainedGot: number;
}

interface ConfigResult {
  /** Viewer transport label (plain, srtp-gcm128, ...). */
  transport: string;
  k: number;
  v: number;
  nodes: NodeResult[];
  windowS: number;
  setupS: number;
  fwdPps: number;
  sinkPps: number;
  cpu: number;
  usPerPkt: number;
  pipedPps: number;
  lossP50: number;
  lossMax: number;
  producerPps: number;
  ingressLoss: number;
  ffmpegCpu: number;
  sinkCpu: number;
  redisCpu: number;
  machineBusy: number;
  otherCores: number;
  statsMs: number;
}

/** How V viewers split over K nodes (the origin first takes any remainder). */
function shares(v: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => Math.floor(v / k) + (i < v % k ? 1 : 0));
}

/** Opens every node's room and the origin's ingress; connects each node's share of viewers. */
async function deploy(label: string, nodes: NodeProcess[], share: number[], kind: ViewerTransport): Promise<{ ingress: IngressInfo; ports: number[][] }> {
  await Promise.all(nodes.map((n, i) => n.call({ type: 'open-room', consumersPerRouter: 2 * share[i]! })));
  const ingress = await nodes[0]!.call<IngressInfo>({ type: 'open-ingress' });
  const total = share.reduce((a, b) => a + b, 0);
  const ports = nodes.map(() => [] as number[]);
  const connected = () => ports.reduce((sum, p) => sum + p.length, 0);
  const progress = throttled(1500, () => log(`${label}: ${connected()}/${total} viewers connected (${ports.map((p, i) => `node${i} ${p.length}/${share[i]}`).join(', ')})`));
  // Viewer i of the whole configuration sends to sink socket i mod sockets, whatever K is.
  const firstIndex = share.map((_, i) => share.slice(0, i).reduce((a, b) => a + b, 0));
  const sinkPorts = sink().ports;
  await Promise.all(
    nodes.map(async (node, i) => {
      const mine = ports[i]!;
      while (mine.length < share[i]!) {
        const from = firstIndex[i]! + mine.length;
        const batch = Array.from({ length: Math.min(VIEWER_BATCH, share[i]! - mine.length) }, (_, j) => sinkPorts[(from + j) % sinkPorts.length]!);
        mine.push(...(await node.call<number[]>({ type: 'add-viewers', sinkPorts: batch, origin: ingress.origin, kind })));
        progress();
      }
    }),
  );
  progress(true);
  return { ingress, ports };
}

function sink(): UdpSink {
  if (!running.sink) throw new Error('the UDP sink is not running');
  return running.sink;
}

/** The sink's counts and the workers' CPU (from /proc), read at one moment: what the window is measured with. */
interface SinkReading {
  sink: SinkSnapshot;
  workerMs: number[];
}

/** Everything read at one edge of the measured window. */
interface Snapshot extends SinkReading {
  nodes: NodeCounts[];
  machine: CpuTimes[];
  ffmpegMs: number;
  sinkMs: number;
  redisMs: number;
  /** CPU ms of every process of this bench: node processes, workers, ffmpeg, sink, redis-server, this one. */
  oursMs: number;
}

/** The processes a configuration runs, for reading their CPU from /proc. */
interface Processes {
  nodes: NodeProcess[];
  workerPids: number[];
  ffmpegPid: number;
  redisPid: number;
}

/**
 * Read by this process, not over IPC: a worker busy fanning out answers channel requests late, which
 * would shift its CPU reading away from the sink's.
 */
async function readAtSink(procs: Processes): Promise<SinkReading> {
  const snap = await sink().snapshot();
  return { sink: snap, workerMs: procs.workerPids.map(processCpuMs) };
}

async function snapshot(procs: Processes): Promise<Snapshot> {
  const machine = machineCpu();
  const [nodes, reading] = await Promise.all([Promise.all(procs.nodes.map((n) => n.call<NodeCounts>({ type: 'counts' }))), readAtSink(procs)]);
  const pids = [...procs.nodes.map((n) => n.pid), ...procs.workerPids, procs.ffmpegPid, sink().pid, procs.redisPid, process.pid];
  return {
    ...reading,
    nodes,
    machine,
    ffmpegMs: processCpuMs(procs.ffmpegPid),
    sinkMs: processCpuMs(sink().pid),
    redisMs: processCpuMs(procs.redisPid),
    oursMs: pids.reduce((sum, pid) => sum + processCpuMs(pid), 0),
  };
}

function sinkCount(snap: SinkSnapshot, ports: number[]): number {
  return ports.reduce((sum, p) => sum + (snap.perPort.get(p) ?? 0), 0);
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0;
}

/**
 * The measured window, with a progress line every second (two for long windows) from the sink and
 * /proc. Consumer stats are read only at the window's edges: hundreds of getStats on a busy worker
 * take a while.
 */
async function measureWindow(label: string, procs: Processes, ports: number[][], ffmpeg: FfmpegPublisher): Promise<[Snapshot, Snapshot]> {
  const start = await snapshot(procs);
  const t0 = Date.now();
  const every = DURATION_S > 20 ? 2 : 1;
  let prev: SinkReading = start;
  for (let s = every; s < DURATION_S; s += every) {
    await sleep(t0 + s * 1000 - Date.now());
    const now = await readAtSink(procs);
    const dtMs = now.sink.at - prev.sink.at;
    const perNode = ports.map((p, i) => {
      const pps = (sinkCount(now.sink, p) - sinkCount(prev.sink, p)) / (dtMs / 1000);
      const busy = (now.workerMs[i]! - prev.workerMs[i]!) / dtMs;
      return `node${i} ${kpps(pps)} pkt/s (worker ${pct(busy, 0)})`;
    });
    log(`${label}: measuring ${s}/${DURATION_S} s — at the sink: ${perNode.join(', ')}`);
    if (!ffmpeg.running) throw new Error(`ffmpeg exited while measuring: ${ffmpeg.lastError || '(no output)'}`);
    prev = now;
  }
  await sleep(t0 + DURATION_S * 1000 - Date.now());
  return [start, await snapshot(procs)];
}

async function runConfiguration(k: number, v: number, kind: ViewerTransport, redis: RedisRun): Promise<ConfigResult> {
  const label = `K=${k} ${transportLabel(kind)}`;
  const share = shares(v, k);
  log(`== ${label}, V=${v}: starting ${k} node process${k > 1 ? 'es' : ''} (1 mediasoup worker each; viewers ${share.join(' + ')})`);
  const setupStart = Date.now();
  try {
    const { nodes, ready } = await startNodes(k, redis.url);
    log(`${label}: nodes up — ${ready.map((r, i) => `node${i}${i === 0 ? ' (origin)' : ''} pid ${r.pid}, worker ${r.workerPid}`).join('; ')}`);
    const { ingress, ports } = await deploy(label, nodes, share, kind);
    const setupS = (Date.now() - setupStart) / 1000;

    await sink().reset();
    const ffmpeg = FfmpegPublisher.start(ingress.target, { maxSeconds: WARMUP_S + DURATION_S + 600, videoKbps: VIDEO_KBPS, pinCpu: LOADGEN_CPUS, nice: NICE });
    running.ffmpeg = ffmpeg;
    log(`${label}: set up in ${setupS.toFixed(1)} s; ffmpeg pid ${ffmpeg.pid} publishing into node0; warming up ${WARMUP_S} s`);
    await sleep(WARMUP_S * 1000);
    if (!ffmpeg.running) throw new Error(`ffmpeg exited during warm-up: ${ffmpeg.lastError || '(no output)'}`);
    const warm = await sink().snapshot();
    const receiving = ports.map((p) => p.filter((port) => (warm.perPort.get(port) ?? 0) > 0).length);
    log(`${label}: warm — viewers receiving ${receiving.map((n, i) => `node${i} ${n}/${share[i]}`).join(', ')}; measuring ${DURATION_S} s`);

    const procs: Processes = { nodes, workerPids: ready.map((r) => r.workerPid), ffmpegPid: ffmpeg.pid, redisPid: redis.pid };
    const [a, b] = await measureWindow(label, procs, ports, ffmpeg);
    // Loss is counted over the whole stream: stop the feed, let in-flight packets land, then compare
    // cumulative counts with nothing in flight.
    await stopFfmpeg();
    await sleep(1000);
    const [drainedNodes, drainedSink] = await Promise.all([Promise.all(nodes.map((n) => n.call<NodeCounts>({ type: 'counts' }))), sink().snapshot()]);
    const result = { transport: transportLabel(kind), ...summarize({ k, v, ports, setupS, a, b, drainedNodes, drainedSink }) };
    log(
      `${label}: ${kpps(result.sinkPps)} pkt/s forwarded on ${result.cpu.toFixed(2)} cores of workers → ${result.usPerPkt.toFixed(2)} µs/pkt; ` +
        `loss per viewer p50 ${pct(result.lossP50, 2)} max ${pct(result.lossMax, 2)}`,
    );
    return result;
  } finally {
    await stopFfmpeg();
    await stopNodes();
  }
}

function summarize(m: { k: number; v: number; ports: number[][]; setupS: number; a: Snapshot; b: Snapshot; drainedNodes: NodeCounts[]; drainedSink: SinkSnapshot }): Omit<ConfigResult, 'transport'> {
  const { a, b } = m;
  const windowMs = b.sink.at - a.sink.at;
  const drainedProducer = m.drainedNodes[0]!.producer ?? { received: 0, lost: 0 };
  // What each viewer should have got: every packet the origin's producers received.
  const expected = drainedProducer.received;
  const lossOf = (port: number) => (expected > 0 ? Math.max(0, 1 - (m.drainedSink.perPort.get(port) ?? 0) / expected) : 1);
  const nodes = m.ports.map((ports, i): NodeResult => {
    const [na, nb] = [a.nodes[i]!, b.nodes[i]!];
    const statsS = (nb.statsAt - na.statsAt) / 1000;
    const fwdPps = (nb.forwarded - na.forwarded) / statsS;
    const cpu = (b.workerMs[i]! - a.workerMs[i]!) / windowMs;
    const losses = ports.map(lossOf).sort((x, y) => x - y);
    const sinkPps = (sinkCount(b.sink, ports) - sinkCount(a.sink, ports)) / (windowMs / 1000);
    return {
      name: `node${i}`,
      role: i === 0 ? 'origin' : 'edge',
      viewers: ports.length,
      fwdPps,
      sinkPps,
      cpu,
      cpuPerResourceUsage: (nb.workerCpuMs - na.workerCpuMs) / (nb.cpuAt - na.cpuAt),
      usPerPkt: sinkPps > 0 ? (cpu * 1e6) / sinkPps : 0,
      pipedPps: (nb.piped - na.piped) / statsS,
      nodeCpu: (nb.nodeCpuMs - na.nodeCpuMs) / windowMs,
      lossP50: quantile(losses, 0.5),
      lossMax: losses[losses.length - 1] ?? 0,
      silent: losses.filter((l) => l >= 0.999).length,
      drainedSent: m.drainedNodes[i]!.forwarded,
      drainedGot: sinkCount(m.drainedSink, ports),
    };
  });
  const allLosses = m.ports.flat().map(lossOf).sort((x, y) => x - y);
  const fwdPps = nodes.reduce((sum, n) => sum + n.fwdPps, 0);
  const sinkPps = nodes.reduce((sum, n) => sum + n.sinkPps, 0);
  const cpu = nodes.reduce((sum, n) => sum + n.cpu, 0);
  const [pa, pb] = [a.nodes[0]!.producer!, b.nodes[0]!.producer!];
  const machineBusy = (cpuDelta(a.machine, b.machine)[0]?.busy ?? 0) * NCPU;
  return {
    k: m.k,
    v: m.v,
    nodes,
    windowS: windowMs / 1000,
    setupS: m.setupS,
    fwdPps,
    sinkPps,
    cpu,
    usPerPkt: sinkPps > 0 ? (cpu * 1e6) / sinkPps : 0,
    pipedPps: nodes[0]!.pipedPps,
    lossP50: quantile(allLosses, 0.5),
    lossMax: allLosses[allLosses.length - 1] ?? 0,
    producerPps: (pb.received - pa.received) / (windowMs / 1000),
    ingressLoss: drainedProducer.received + drainedProducer.lost > 0 ? drainedProducer.lost / (drainedProducer.received + drainedProducer.lost) : 0,
    ffmpegCpu: (b.ffmpegMs - a.ffmpegMs) / windowMs,
    sinkCpu: (b.sinkMs - a.sinkMs) / windowMs,
    redisCpu: (b.redisMs - a.redisMs) / windowMs,
    machineBusy,
    otherCores: Math.max(0, machineBusy - (b.oursMs - a.oursMs) / windowMs),
    statsMs: Math.max(...b.nodes.map((n) => n.statsMs)),
  };
}

// ---------------------------------------------------------------------------------------------
// Report

const COLUMNS: [string, number][] = [
  ['transport', 11], ['V', 5], ['K', 2], ['node', 6], ['role', 6], ['viewers', 8], ['fwd pkt/s', 10], ['sink pkt/s', 11], ['worker CPU', 11],
  ['µs/pkt', 7], ['loss p50', 9], ['loss max', 9], ['ingress lost', 13], ['piped pkt/s', 12],
];

function row(cells: string[]): string {
  return cells.map((c, i) => (i <= 0 || i === 3 || i === 4 ? pad(c, COLUMNS[i]![1]) : lpad(c, COLUMNS[i]![1]))).join(' ');
}

function printTable(results: ConfigResult[]): void {
  const head = row(COLUMNS.map(([name]) => name));
  console.log(head);
  console.log('-'.repeat(head.length));
  for (const r of results) {
    for (const n of r.nodes) {
      console.log(
        row([
          r.transport, String(r.v), String(r.k), n.name, n.role, String(n.viewers), kpps(n.fwdPps), kpps(n.sinkPps), pct(n.cpu, 0),
          n.usPerPkt.toFixed(2), pct(n.lossP50, 2), pct(n.lossMax, 2), n.role === 'origin' ? pct(r.ingressLoss, 2) : '—', n.role === 'origin' ? n.pipedPps.toFixed(0) : '—',
        ]),
      );
    }
    console.log(
      row([
        r.transport, String(r.v), String(r.k), 'all', '', String(r.v), kpps(r.fwdPps), kpps(r.sinkPps), `${r.cpu.toFixed(2)} c`,
        r.usPerPkt.toFixed(2), pct(r.lossP50, 2), pct(r.lossMax, 2), pct(r.ingressLoss, 2), r.pipedPps.toFixed(0),
      ]),
    );
  }
}

function printDetails(r: ConfigResult): void {
  const sent = r.nodes.reduce((sum, n) => sum + n.drainedSent, 0);
  const got = r.nodes.reduce((sum, n) => sum + n.drainedGot, 0);
  console.log(
    `  ${r.transport} V=${r.v} K=${r.k}: window ${r.windowS.toFixed(1)} s; ffmpeg delivered ${r.producerPps.toFixed(0)} pkt/s to the origin (${pct(r.ingressLoss, 2)} lost on the way, whole stream); ` +
      `drained check: consumers sent ${sent}, sink got ${got} (${sent > 0 ? pct(1 - got / sent, 3) : 'n/a'} missing); silent viewers ${r.nodes.reduce((sum, n) => sum + n.silent, 0)}; ` +
      `worker CPU per getResourceUsage ${r.nodes.map((n) => pct(n.cpuPerResourceUsage, 0)).join(' + ')}; ` +
      `node processes ${r.nodes.map((n) => pct(n.nodeCpu, 1)).join(' + ')} CPU, ffmpeg ${pct(r.ffmpegCpu, 0)}, sink ${pct(r.sinkCpu, 0)}, redis-server ${pct(r.redisCpu, 1)}; ` +
      `machine ${r.machineBusy.toFixed(2)} of ${NCPU} cores busy, ${r.otherCores.toFixed(2)} of them other processes; setup ${r.setupS.toFixed(1)} s; window-edge stats took up to ${r.statsMs} ms`,
  );
}

/**
 * What the origin spends beyond forwarding to its own viewers, priced at the edges' cost per packet in
 * the same window (same machine load: between configurations the other work on the box differs).
 */
function originExtraCpu(r: ConfigResult): number {
  const [origin, ...edges] = r.nodes;
  const edgePps = edges.reduce((sum, n) => sum + n.sinkPps, 0);
  const edgeCpu = edges.reduce((sum, n) => sum + n.cpu, 0);
  return origin!.cpu - (edgePps > 0 ? (origin!.sinkPps * edgeCpu) / edgePps : 0);
}

function printOverhead(results: ConfigResult[]): void {
  console.log('\n=== Cross-node overhead ===');
  console.log('  cost(K)      = worker CPU µs per forwarded packet: Σ CPU time of the K workers ÷ Σ packets the sink got from their viewers, same window');
  console.log("  overhead(K)  = cost(K) ÷ cost(1). At K=1 nothing crosses a process (every viewer consumes on the origin's router), so");
  console.log('                 overhead − 1 is what serving the same viewers from K processes, fed by RemotePipe, adds per forwarded packet');
  console.log("  pipe (origin) = origin worker CPU − origin viewers' pkt/s × the edges' µs/pkt in the same window: what the origin spends beyond");
  console.log('                 its own viewers — the outgoing pipes, plus ffmpeg ingress (so an upper bound for the pipes) — per piped stream copy');
  console.log('                 (one producer into one other node: 2 × (K−1) copies) and per piped packet. Below zero: lost in the noise.');
  for (const v of VIEWERS) for (const kind of TRANSPORTS) {
    const t = transportLabel(kind);
    const base = results.find((r) => r.v === v && r.k === 1 && r.transport === t);
    for (const r of results.filter((x) => x.v === v && x.transport === t)) {
      const ratio = base ? `overhead ${(r.usPerPkt / base.usPerPkt).toFixed(3)}×` : 'overhead n/a (K=1 not in BENCH_NODES)';
      const head = `  ${t} V=${v} K=${r.k}: cost ${r.usPerPkt.toFixed(2)} µs/pkt → ${r.k === 1 ? `${ratio} (in-process only, the reference)` : ratio}`;
      if (r.k === 1) {
        console.log(head);
        continue;
      }
      const extra = originExtraCpu(r);
      const copies = 2 * (r.k - 1);
      console.log(
        `${head}; pipe at the origin: ${copies} stream copies, ${r.pipedPps.toFixed(0)} pkt/s piped, ${extra >= 0 ? '+' : ''}${pct(extra, 2)} of a core ` +
          `→ ${pct(extra / copies, 2)} per stream copy, ${r.pipedPps > 0 ? ((extra * 1e6) / r.pipedPps).toFixed(1) : 'n/a'} µs per piped packet`,
      );
    }
  }
}

function report(results: ConfigResult[]): void {
  console.log('\n=== Results (measured window per configuration) ===');
  console.log("  fwd pkt/s = the node's viewer consumers' packetCount delta (their stats are read over a while: skewed when that takes long);");
  console.log('  sink pkt/s = what the sink got from those viewers, read at the same moments as the CPU (the drained check shows both count the same packets);');
  console.log(`  worker CPU = utime+stime of the node's one worker from /proc, read with the sink (% of a core; "c" = cores in all); µs/pkt = worker CPU ÷ sink pkt/s;`);
  console.log('  loss = per viewer over the whole stream, 1 − sink packets from that viewer ÷ packets the origin\'s producers received (p50 / worst viewer);');
  console.log("  ingress lost = producer packetsLost ÷ (received + lost), ffmpeg → origin, whole stream; piped pkt/s = what the origin's pipe consumers sent to the other nodes");
  printTable(results);
  console.log('\nPer configuration:');
  for (const r of results) printDetails(r);
  printOverhead(results);
  const points = results.map((r) => ({
    transport: r.transport,
    setup: `K=${r.k} nodes`,
    workers: r.k,
    viewers: r.v,
    fwdPps: r.sinkPps,
    cores: r.cpu,
    perViewerPps: r.producerPps,
    meanLoss: r.lossP50,
    maxLoss: r.lossMax,
  }));
  printCostCurve(points, `${VIDEO_KBPS / 1000} Mb/s H.264 + Opus (loss column: p50 viewer)`);
  for (const r of srtpVersusPlain(points)) console.log(`  SRTP vs plain RTP viewers per core, ${r.setup} V=${r.viewers} ${r.transport}: ${(100 * r.ratio).toFixed(1)}%`);
  console.log('\n  No target for this bench: it reports the ratio (exit 0 when it ran).');
}

// ---------------------------------------------------------------------------------------------
// Main

const silent = (await import('../common/logger.js')).createLogger('silent');

/** The version a tool prints: the first match of `pattern` in its output. */
function versionOf(cmd: string, args: string[], pattern: RegExp): string {
  try {
    return pattern.exec(execFileSync(cmd, args, { encoding: 'utf8' }))?.[0] ?? '?';
  } catch {
    return `${cmd}: not found`;
  }
}

function printHeader(): void {
  const pkg = JSON.parse(readFileSync(path.join(projectRoot(), 'node_modules', 'mediasoup', 'package.json'), 'utf8')) as { version: string };
  console.log(`LevelChat bench: cluster fan-out — one broadcast's viewers over K node processes (K = ${NODE_COUNTS.join(', ')}), clustered over one Redis`);
  console.log(
    `  machine: ${NCPU} cores (${os.cpus()[0]?.model ?? '?'}) shared by ALL of it — the K node processes and their K workers, ffmpeg, the UDP sink, ` +
      `redis-server, this process — and by anything else running; loadavg ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, Linux ${os.release()}`,
  );
  console.log(
    `  software: node ${process.version}, mediasoup ${pkg.version} (worker ${process.env.MEDIASOUP_WORKER_BIN ?? 'bundled'}), ffmpeg ${versionOf('ffmpeg', ['-hide_banner', '-version'], /(?<=^ffmpeg version )\S+/)}, redis-server ${versionOf('redis-server', ['--version'], /(?<=v=)\S+/)}`,
  );
  console.log(`  viewers ${VIEWERS.join(', ')} in all, split evenly over the K nodes (node0 = origin); window ${DURATION_S} s after ${WARMUP_S} s warm-up per configuration`);
  console.log(`  publisher: ffmpeg libx264 veryfast zerolatency CBR ${VIDEO_KBPS} kb/s 640x360@30 -g 30 + Opus 64 kb/s over RTP into node0's PlainTransport producers`);
  console.log(
    `  viewers: one PlainTransport (rtcp-mux) + video + audio consumer each → C recvmmsg sink on ${SINK_SOCKETS} loopback sockets, ${sinkPollUs() ? `read every ${sinkPollUs()} µs (wakes nobody)` : 'woken by epoll'}; ` +
      `viewer transports: ${TRANSPORTS.map((t) => (t.kind === 'plain' ? 'plain RTP' : `SRTP ${t.suite}`)).join(', ')}`,
  );
  console.log('  each node: WorkerPool of 1 worker, RouterDirectory + ClusterBus + PipeServer + RemotePipe on the shared Redis, MediaRoom (h264);');
  console.log('  cross-node pipe: PipeTransports over 127.0.0.1 (RTX on, SRTP off as LEVELCHAT_PIPE_SRTP defaults), one per producer per edge node');
  console.log(
    `  ${LOADGEN_CPUS ? `ffmpeg and the sink pinned to CPU ${LOADGEN_CPUS} (taskset), the node processes and workers not pinned` : 'no CPU pinning: the load generator (ffmpeg, sink) shares every core with the workers'}; ${NICE !== 0 ? `workers, ffmpeg and the sink at nice ${NICE} (ahead of other work on the box)` : 'priorities unchanged (BENCH_NICE=0)'}`,
  );
}

async function main(): Promise<void> {
  printHeader();
  running.tmp = mkdtempSync(path.join(os.tmpdir(), 'levelchat-cluster-fanout-'));
  running.redis = await startRedis(running.tmp);
  log(`redis-server pid ${running.redis.pid} at ${running.redis.url} (temp data dir ${running.tmp})`);
  log('compiling and starting the UDP sink (gcc -O2, temp dir)');
  running.sink = await UdpSink.start(SINK_SOCKETS, LOADGEN_CPUS, NICE);
  log(`  sink pid ${running.sink.pid} on 127.0.0.1 ports ${running.sink.ports.join(',')}`);
  const results: ConfigResult[] = [];
  for (const v of VIEWERS) {
    for (const kind of TRANSPORTS) {
      for (const k of NODE_COUNTS) results.push(await runConfiguration(k, v, kind, running.redis));
    }
  }
  report(results);
  console.log(`\n  loadavg at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

if (process.argv[2] === '--node') {
  await nodeMain(Number(process.argv[3]));
} else {
  await runBench({ main, cleanup, cleanupSync, stopping: 'ffmpeg, the node processes (and their workers), redis-server and the UDP sink', graceMs: 15_000 });
}
