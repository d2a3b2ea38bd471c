// Bench: how many concurrent LL-HLS viewers one 2-core LevelChat origin serves, side by side with
// Debian's nginx serving the same files statically. Loopback only, one run.
//
//   npm run bench:llhls-origin
//   (= npm run build && node dist/bench/llhls-origin.js)
//
// Env: BENCH_VIEWERS (1000,5000,10000), BENCH_DURATION_S (15, measured window per side and N),
// BENCH_WARMUP_S (3, after the ramp, unmeasured), BENCH_LOADGEN_PROCS (2, load generator
// processes), BENCH_GRACE_S (2, deliveries still counted after the window), BENCH_NGINX (1; 0 skips
// the nginx side), BENCH_NGINX_INSTALL (1: apt-get install -y nginx-light when nginx is missing),
// BENCH_LOCAL_ADDRS (comma-separated 127.x source addresses for the viewers' connections; none by default),
// BENCH_SHARED_CACHE (1; 0: the origin does not share the publisher's MediaCache — a node whose
// pipelines do not run the stream — so objects come from S3 through its read-through cache),
// BENCH_FAST_PATH (1; 0: every request through express, without withHlsFastPath), BENCH_CACHE (1; 0 skips
// the cache side: the repository's Varnish cache tier, deploy/varnish, in front of the origin, LL viewers
// on it, counting what reaches the origin), BENCH_VARNISH_INSTALL (1: apt-get install -y varnish when
// varnishd is missing), BENCH_LOADGEN_CPUS / BENCH_SERVER_CPUS (taskset lists: the load generators /
// everything they measure — origin, redis, S3, nginx, Varnish — pinned there; unset: not pinned).
//
// Processes (all on the same 2 cores — the load generator shares them with what it measures):
//   this one     orchestration, the static copy of the stream for nginx, /proc readings
//   --origin     the origin (withHlsFastPath in front of the app with hlsOriginRoutes) + the synthetic
//                live stream (HlsPublisher → MediaPlaylist → embedded S3 + Redis, one 40 KB part every
//                200 ms, 1 s segments of 5 parts), sharing one MediaCache as a node's pipeline and origin do
//                (unless BENCH_SHARED_CACHE=0)
//   --loadgen ×K simulated viewers on raw keep-alive sockets (bench/lib/llhls-viewers.ts)
//   redis-server, the embedded S3 server (as Stack starts them), nginx (2 workers) for the static side,
//   varnishd (deploy/varnish/llhls.vcl) for the cache side.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { monoMs } from './lib/llhls-http.js';
import { ensureNginx, startNginx } from './lib/llhls-nginx.js';
import { ensureVarnishd, startVarnishCache } from './lib/llhls-varnish.js';
import type { SpawnedServer } from './lib/spawned-server.js';
import { FAST_PATH, INIT_BYTES, originMain, PART_BYTES, PART_MS, partBytes, PARTS_PER_SEGMENT, RENDITION, ROOM_ID, SHARED_CACHE, type OriginCommand, type OriginMessage } from './lib/llhls-stream.js';
import { HIST_MAX, HIST_SCALE, loadgenMain, type Counters, type LoadgenMessage, type LoadgenResult, type ParentMessage, type ViewerMode } from './lib/llhls-viewers.js';
import { cpuDelta, machineCpu, processCpuMs, processRssBytes, reniceThreads } from './lib/procfs.js';
import { runBench } from './lib/run-bench.js';
import { envCount, envNumber } from './lib/env.js';
import { mib, pct } from './lib/format.js';
import { stampedLog } from './lib/log.js';
import { ascending, percentile } from './lib/stats.js';
import { sleep } from './lib/wait.js';

// ---------------------------------------------------------------------------------------------
// Settings

const VIEWERS = (process.env.BENCH_VIEWERS ?? '1000,5000,10000')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0);
const DURATION_S = envNumber('BENCH_DURATION_S', 15);
const WARMUP_S = envCount('BENCH_WARMUP_S', 3);
const GRACE_S = envCount('BENCH_GRACE_S', 2);
const LOADGEN_PROCS = Math.round(envNumber('BENCH_LOADGEN_PROCS', 2));
const WITH_NGINX = process.env.BENCH_NGINX !== '0';
/** The cache side: the repository's Varnish cache tier (deploy/varnish) in front of the origin, LL viewers on it. */
const WITH_CACHE = process.env.BENCH_CACHE !== '0';
/** Nice value for every process of ours (server, redis, S3, nginx, Varnish, load generators): a shared box disturbs less. 0 leaves it. */
const NICE = Number(process.env.BENCH_NICE ?? -10);
/** taskset lists: the load generators on some CPUs, what they measure on the others (unset: not pinned). */
const LOADGEN_CPUS = process.env.BENCH_LOADGEN_CPUS || null;
const SERVER_CPUS = process.env.BENCH_SERVER_CPUS || null;
const LOCAL_ADDRS = (process.env.BENCH_LOCAL_ADDRS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
/** The target's deadline: one part duration after publication. */
const DEADLINE_MS = PART_MS;
const TARGET_VIEWERS = 10_000;
const PROGRESS_MS = 3000;
const NCPU = os.availableParallelism?.() ?? os.cpus().length;

// ---------------------------------------------------------------------------------------------
// Output

const log = stampedLog();
const ms = (x: number) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : '∞');
const kfmt = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(1)}k` : x >= 1000 ? `${(x / 1000).toFixed(2)}k` : x.toFixed(0));

/** Renices every thread of these processes (setpriority is per thread on Linux); false if not allowed. */
function renice(pids: number[]): boolean {
  if (NICE === 0) return true;
  try {
    for (const pid of pids) reniceThreads(pid, NICE);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes of ours (forks of this file)

class Loadgen {
  readonly ready: Promise<number>;
  private waiters = new Map<number, (m: Extract<LoadgenMessage, { type: 'mark' }>) => void>();
  private resultWaiter: ((r: LoadgenResult) => void) | undefined;
  latest: Counters | undefined;

  constructor(readonly child: ChildProcess) {
    this.ready = new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`load generator exited (code ${code})`)));
      child.on('message', (m: LoadgenMessage) => {
        if (m.type === 'ready') resolve(m.pid);
        else if (m.type === 'mark') this.waiters.get(m.id)?.(m);
        else if (m.type === 'progress') this.latest = m.counters;
        else if (m.type === 'result') this.resultWaiter?.(m.result);
      });
    });
  }

  send(m: ParentMessage): void {
    if (this.child.connected) this.child.send(m);
  }

  mark(id: number): Promise<Extract<LoadgenMessage, { type: 'mark' }>> {
    return new Promise((resolve) => {
      this.waiters.set(id, (m) => {
        this.waiters.delete(id);
        resolve(m);
      });
      this.send({ cmd: 'mark', id });
    });
  }

  stop(parts: [number, number][]): Promise<LoadgenResult> {
    return new Promise((resolve) => {
      this.resultWaiter = resolve;
      this.send({ cmd: 'stop', parts, deadlineMs: DEADLINE_MS });
    });
  }
}

type OriginStats = Extract<OriginMessage, { type: 'stats' }>;

interface Published {
  seq: number;
  tTick: number;
  tOrigin: number;
  tRedis: number;
  tNginx: number | undefined;
}

// ---------------------------------------------------------------------------------------------
// State for cleanup on any exit path

const running: {
  tmp: string | undefined;
  origin: ChildProcess | undefined;
  loadgens: Loadgen[];
  nginx: SpawnedServer | undefined;
  cache: SpawnedServer | undefined;
  childPids: number[];
  cleanup: (() => Promise<void>) | undefined;
} = { tmp: undefined, origin: undefined, loadgens: [], nginx: undefined, cache: undefined, childPids: [], cleanup: undefined };

/**
 * Starts the server of an optional side (its Debian binary installed on demand, `dir` its own);
 * undefined, with a line saying why, when it cannot.
 */
async function startSide(
  log: (line: string) => void,
  what: string,
  side: string,
  ensure: (log: (line: string) => void) => string | undefined,
  dir: string,
  start: (bin: string, dir: string) => Promise<SpawnedServer>,
  describe: (server: SpawnedServer, bin: string) => string,
): Promise<SpawnedServer | undefined> {
  const bin = ensure(log);
  if (!bin) return undefined;
  mkdirSync(dir, { recursive: true });
  try {
    const server = await start(bin, dir);
    log(describe(server, bin));
    return server;
  } catch (err) {
    log(`${what} could not start, skipping ${side}: ${(err as Error).message}`);
    return undefined;
  }
}

function cleanupSync(): void {
  for (const l of running.loadgens) l.child.kill('SIGTERM');
  running.loadgens = [];
  running.origin?.kill('SIGTERM');
  running.origin = undefined;
  running.nginx?.killSync();
  running.nginx = undefined;
  running.cache?.killSync();
  running.cache = undefined;
  for (const pid of running.childPids.splice(0)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  if (running.tmp) rmSync(running.tmp, { recursive: true, force: true });
  running.tmp = undefined;
}

// ---------------------------------------------------------------------------------------------
// Measurement helpers

function sumCounters(list: Counters[]): Counters {
  const out: Counters = { playlists: 0, parts: 0, bytes: 0, errors: {}, resyncs: 0, connects: 0 };
  for (const c of list) {
    out.playlists += c.playlists;
    out.parts += c.parts;
    out.bytes += c.bytes;
    out.resyncs += c.resyncs;
    out.connects += c.connects;
    for (const [k, v] of Object.entries(c.errors)) out.errors[k] = (out.errors[k] ?? 0) + v;
  }
  return out;
}

function diffCounters(a: Counters, b: Counters): Counters {
  const errors: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.errors)) if (v - (a.errors[k] ?? 0) > 0) errors[k] = v - (a.errors[k] ?? 0);
  return { playlists: b.playlists - a.playlists, parts: b.parts - a.parts, bytes: b.bytes - a.bytes, errors, resyncs: b.resyncs - a.resyncs, connects: b.connects - a.connects };
}

const errorTotal = (c: Counters) => Object.values(c.errors).reduce((a, b) => a + b, 0);
const errorText = (c: Counters) => (errorTotal(c) === 0 ? '0' : Object.entries(c.errors).map(([k, v]) => `${k}: ${v}`).join(', '));

/** Percentile of a merged histogram whose `missing` samples count as infinitely late. */
function histPercentile(hist: Map<number, number>, missing: number, q: number): number {
  let total = missing;
  for (const v of hist.values()) total += v;
  if (total === 0) return NaN;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (const b of [...hist.keys()].sort((x, y) => x - y)) {
    seen += hist.get(b)!;
    if (seen >= rank) return b >= HIST_MAX ? Infinity : (b + 0.5) / HIST_SCALE;
  }
  return Infinity;
}

/** origin: LL viewers on the origin; nginx: polling viewers on nginx serving the files; cache: LL viewers on the Varnish cache tier in front of the origin. */
type Side = 'origin' | 'nginx' | 'cache';

interface PhaseResult {
  side: Side;
  n: number;
  reqPerS: number;
  partsPerS: number;
  mbPerS: number;
  counters: Counters;
  partP50: number;
  partP99: number;
  playlistP50: number;
  playlistP99: number;
  pooledWithin: number;
  partsInWindow: number;
  partsOk: number;
  worstPart: number;
  serverCores: number;
  serverRss: number;
  serverElu: number | undefined;
  redisCores: number;
  s3Cores: number;
  loadgenCores: number;
  loadgenEluMax: number;
  machineBusy: number;
  publishLagP99: number;
  publishLagMax: number;
  othersCores: number;
  publishFailures: number;
  /** Objects the origin read from S3 per part published in the window. */
  s3GetsPerPart: number;
  /** Cache side: requests that reached the origin per part published (playlist updates + parts), and its CPU. */
  originRequestsPerPart: number;
  originCores: number;
  pass: boolean;
}

// ---------------------------------------------------------------------------------------------

async function benchMain(): Promise<void> {
  if (VIEWERS.length === 0) throw new Error('BENCH_VIEWERS has no viewer count');
  const totalViewers = Math.max(...VIEWERS);
  log(`LL-HLS origin bench: ${NCPU} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  log(`viewers ${VIEWERS.join(', ')}; ${DURATION_S} s window per side after a ramp + ${WARMUP_S} s warm-up; ${LOADGEN_PROCS} load generator processes`);
  log(`stream: one ${PART_BYTES / 1000} KB part every ${PART_MS} ms, ${PARTS_PER_SEGMENT} parts per 1 s segment; target: ≥ ${TARGET_VIEWERS} viewers, each part to ≥ 99% of them within ${DEADLINE_MS} ms, no errors`);
  log(
    LOADGEN_CPUS || SERVER_CPUS
      ? `pinned (taskset): load generators on CPU ${LOADGEN_CPUS ?? 'any'}, origin, redis, S3, nginx and Varnish on CPU ${SERVER_CPUS ?? 'any'}; CPU use is printed per phase.`
      : `NOTE: the load generator runs on the same ${NCPU} cores as the origin, redis, S3, nginx and Varnish (no pinning); its CPU is printed per phase.`,
  );
  if (totalViewers + 500 > 20000) log(`warning: ${totalViewers} viewers need as many file descriptors in the server and the load generator; check ulimit -n`);

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'llhls-bench-'));
  running.tmp = tmp;
  chmodSync(tmp, 0o755);

  const { ChildProcesses } = await import('../common/child-processes.js');
  const { DataDir } = await import('../common/data-dir.js');
  const { startEmbeddedRedis } = await import('../src/runtime/redis.js');
  const { startEmbeddedS3 } = await import('../storage/embedded-s3/launch.js');
  const { createLogger } = await import('../common/logger.js');
  const { freePort } = await import('../common/free-port.js');
  const logger = createLogger('silent');
  const dataDir = DataDir.acquire(path.join(tmp, 'data'));
  const children = new ChildProcesses(logger);

  running.cleanup = async () => {
    for (const l of running.loadgens) l.send({ cmd: 'exit' });
    running.origin?.send({ cmd: 'exit' } satisfies OriginCommand);
    await sleep(300);
    for (const l of running.loadgens) l.child.kill('SIGTERM');
    running.loadgens = [];
    running.origin?.kill('SIGTERM');
    running.origin = undefined;
    await running.nginx?.stop();
    running.nginx = undefined;
    await running.cache?.stop();
    running.cache = undefined;
    await children.stopAll();
    running.childPids = [];
    dataDir.release();
    if (running.tmp) rmSync(running.tmp, { recursive: true, force: true });
    running.tmp = undefined;
  };

  const redis = await startEmbeddedRedis(children, dataDir, logger);
  const s3 = await startEmbeddedS3(children, dataDir, logger);
  running.childPids = children.running.map((c) => c.pid);
  const pidOf = (name: string) => children.running.find((c) => c.name === name)?.pid ?? 0;
  const redisPid = pidOf('redis-server');
  const s3Pid = pidOf('embedded-s3');
  log(`redis-server pid ${redisPid} at ${redis.url}; embedded S3 pid ${s3Pid} at ${s3.endpoint}; temp dir ${tmp}`);

  // nginx, serving the static copy the publisher loop writes below.
  const www = path.join(tmp, 'www');
  const hlsDir = path.join(www, 'hls', ROOM_ID, RENDITION);
  mkdirSync(hlsDir, { recursive: true });
  for (const d of [www, path.join(www, 'hls'), path.join(www, 'hls', ROOM_ID), hlsDir]) chmodSync(d, 0o755);
  writeFileSync(path.join(hlsDir, 'init.mp4'), INIT_BYTES);
  if (WITH_NGINX) {
    running.nginx = await startSide(log, 'nginx', 'the nginx side', ensureNginx, path.join(tmp, 'nginx'), async (bin, dir) => startNginx(bin, dir, www, await freePort()), (server, bin) => {
      const version = (() => {
        try {
          return readFileSync(`/proc/${server.masterPid}/cmdline`, 'utf8').split('\0')[0];
        } catch {
          return bin;
        }
      })();
      return `nginx (${version}) master pid ${server.masterPid}, workers ${server.workerPids().join(', ')} on 127.0.0.1:${server.port} (2 workers, sendfile, keep-alive, no access log)`;
    });
  } else log('BENCH_NGINX=0: the nginx side is skipped');

  // The origin + publisher process.
  const published = new Map<number, Published>();
  const origin = fork(fileURLToPath(import.meta.url), ['--origin'], {
    env: { ...process.env, BENCH_REDIS_URL: redis.url, BENCH_S3: JSON.stringify(s3) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  running.origin = origin;
  const statsWaiters = new Map<number, (s: OriginStats) => void>();
  let statsId = 0;
  const originStats = () =>
    new Promise<OriginStats | undefined>((resolve) => {
      const id = ++statsId;
      const timer = setTimeout(() => (statsWaiters.delete(id), resolve(undefined)), 5000);
      statsWaiters.set(id, (s) => (clearTimeout(timer), statsWaiters.delete(id), resolve(s)));
      origin.send({ cmd: 'stats', id } satisfies OriginCommand);
    });
  const originReady = new Promise<{ url: string; pid: number }>((resolve, reject) => {
    origin.once('exit', (code) => reject(new Error(`origin process exited (code ${code})`)));
    origin.on('message', (m: OriginMessage) => {
      if (m.type === 'ready') resolve(m);
      else if (m.type === 'stats') statsWaiters.get(m.id)?.(m);
      else if (m.type === 'published') {
        // The static copy: part (and segment) files first, then the playlist, atomically.
        let tNginx: number | undefined;
        if (running.nginx) {
          writeFileSync(path.join(hlsDir, `part${m.seq}.m4s`), partBytes(m.seq));
          if (m.segment) {
            const parts = Array.from({ length: PARTS_PER_SEGMENT }, (_, i) => partBytes(m.msn * PARTS_PER_SEGMENT + i));
            writeFileSync(path.join(hlsDir, `seg${m.msn}.m4s`), Buffer.concat(parts));
          }
          const tmpFile = path.join(hlsDir, '.index.m3u8.tmp');
          writeFileSync(tmpFile, m.playlist);
          renameSync(tmpFile, path.join(hlsDir, 'index.m3u8'));
          tNginx = monoMs();
          // Objects older than the playlist window are not needed any more.
          if (m.part === 0 && m.msn >= 20) {
            const old = m.msn - 20;
            for (let i = 0; i < PARTS_PER_SEGMENT; i++) rmSync(path.join(hlsDir, `part${old * PARTS_PER_SEGMENT + i}.m4s`), { force: true });
            rmSync(path.join(hlsDir, `seg${old}.m4s`), { force: true });
          }
        }
        published.set(m.seq, { seq: m.seq, tTick: m.tTick, tOrigin: m.tPub, tRedis: m.tDone, tNginx });
      }
    });
  });
  const originInfo = await originReady;
  const originPort = Number(new URL(originInfo.url).port);
  // The cache tier, as docker-compose.yml runs it, in front of this origin.
  if (WITH_CACHE) {
    running.cache = await startSide(
      log,
      'the Varnish cache tier',
      'the cache side',
      ensureVarnishd,
      path.join(tmp, 'varnish'),
      async (bin, dir) => startVarnishCache(bin, dir, await freePort(), [`127.0.0.1:${originPort}`]),
      (server) => `Varnish cache tier (deploy/varnish/llhls.vcl) manager pid ${server.masterPid}, cache process ${server.workerPids().join(', ')} on 127.0.0.1:${server.port} in front of the origin`,
    );
  } else log('BENCH_CACHE=0: the cache side is skipped');
  log(
    `origin process pid ${originInfo.pid} at ${originInfo.url} (${FAST_PATH ? 'withHlsFastPath in front of ' : ''}the express app as createApp() mounts hlsOriginRoutes; publisher in the same process, ` +
      `${SHARED_CACHE ? 'shared MediaCache' : 'origin MediaCache NOT shared (BENCH_SHARED_CACHE=0): objects come from S3 through the read-through cache'})`,
  );

  // Load generators.
  for (let i = 0; i < LOADGEN_PROCS; i++) {
    const child = fork(fileURLToPath(import.meta.url), ['--loadgen'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    running.loadgens.push(new Loadgen(child));
  }
  const loadgenPids = await Promise.all(running.loadgens.map((l) => l.ready));
  log(`load generator pids ${loadgenPids.join(', ')}; bench (orchestrator) pid ${process.pid}`);
  const cachePids = () => [running.nginx, running.cache].flatMap((x) => (x ? [x.masterPid, ...x.workerPids()] : []));
  const servers = [originInfo.pid, redisPid, s3Pid, ...cachePids()];
  const ours = [...servers, ...loadgenPids];
  if (NICE !== 0) log(renice(ours) ? `niced to ${NICE} (BENCH_NICE): origin, redis-server, S3, nginx, Varnish and the load generators, so other work on a shared box disturbs less` : `could not renice to ${NICE}: running at normal priority`);
  // Every thread now; threads started later inherit it from the thread that starts them.
  for (const [pids, cpus] of [[servers, SERVER_CPUS], [loadgenPids, LOADGEN_CPUS]] as const) {
    if (cpus) for (const pid of pids) execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
  }

  // A few segments of history before anyone watches.
  while (published.size < 3 * PARTS_PER_SEGMENT) await sleep(100);
  const base = `/hls/${ROOM_ID}/${RENDITION}`;
  const check = await fetch(`${originInfo.url}${base}/index.m3u8`);
  const checkText = await check.text();
  if (check.status !== 200) throw new Error(`origin playlist check: ${check.status} ${checkText.slice(0, 200)}`);
  log(`check: origin playlist ${check.status}, ${checkText.length} bytes, ${checkText.split('\n').filter((l) => l.startsWith('#EXT-X-PART:')).length} parts listed`);
  if (running.nginx) {
    const r = await fetch(`http://127.0.0.1:${running.nginx.port}${base}/index.m3u8`);
    const t = await r.text();
    if (r.status !== 200) {
      log(`nginx playlist check failed (${r.status}): skipping the nginx side`);
      await running.nginx.stop();
      running.nginx = undefined;
    } else log(`check: nginx playlist ${r.status}, ${t.length} bytes`);
  }
  log('');

  let markId = 0;
  const results: PhaseResult[] = [];

  async function phase(side: Side, n: number): Promise<PhaseResult> {
    const mode: ViewerMode = side === 'nginx' ? 'poll' : 'll';
    const server = side === 'origin' ? undefined : side === 'nginx' ? running.nginx! : running.cache!;
    const port = server ? server.port : originPort;
    const serverPids = () => (server ? [server.masterPid, ...server.workerPids()] : [originInfo.pid]);
    /** Publication as the viewers see it: the origin's (also behind the cache), or the static file's. */
    const fromOrigin = side !== 'nginx';
    const rampMs = Math.min(4000, Math.max(500, n * 0.3));
    const share = (i: number) => Math.floor(n / LOADGEN_PROCS) + (i < n % LOADGEN_PROCS ? 1 : 0);
    log(`── ${side} N=${n}: ${mode === 'll' ? 'LL-HLS viewers (blocking playlist reload + part)' : `polling viewers (playlist every ${PART_MS} ms + new parts)`}, ramp ${(rampMs / 1000).toFixed(1)} s, warm-up ${WARMUP_S} s, window ${DURATION_S} s`);
    running.loadgens.forEach((l, i) =>
      l.send({ cmd: 'start', mode, host: '127.0.0.1', port, base, viewers: share(i), rampMs, partsPerSegment: PARTS_PER_SEGMENT, pollMs: PART_MS, partBytes: PART_BYTES, localAddresses: LOCAL_ADDRS }),
    );

    const readAll = async () => {
      const marks = await Promise.all(running.loadgens.map((l) => l.mark(++markId)));
      return {
        t: monoMs(),
        counters: sumCounters(marks.map((m) => m.counters)),
        eluMax: Math.max(...marks.map((m) => m.elu)),
        serverCpu: serverPids().reduce((a, p) => a + processCpuMs(p), 0),
        redisCpu: processCpuMs(redisPid),
        s3Cpu: processCpuMs(s3Pid),
        loadgenCpu: loadgenPids.reduce((a, p) => a + processCpuMs(p), 0),
        /** Every process of ours, for "others" = what the rest of the machine used. */
        originCpu: processCpuMs(originInfo.pid),
        allCpu: [process.pid, originInfo.pid, redisPid, s3Pid, ...loadgenPids, ...cachePids()].reduce((a, p) => a + processCpuMs(p), 0),
        machine: machineCpu(),
      };
    };
    type Reading = Awaited<ReturnType<typeof readAll>>;
    const eluOf = (a: OriginStats | undefined, b: OriginStats | undefined) => {
      if (!a || !b) return undefined;
      const active = b.eluActive - a.eluActive;
      const idle = b.eluIdle - a.eluIdle;
      return active + idle > 0 ? active / (active + idle) : undefined;
    };
    let lastStats: OriginStats | undefined;
    const nextElu = async () => {
      if (!fromOrigin) return undefined;
      const s = await originStats();
      const u = eluOf(lastStats, s);
      lastStats = s;
      return u;
    };
    const progressLine = (a: Reading, b: Reading, label: string, elu: number | undefined) => {
      const dt = (b.t - a.t) / 1000;
      const c = diffCounters(a.counters, b.counters);
      const busy = cpuDelta(a.machine, b.machine)[0]?.busy ?? 0;
      const rss = serverPids().reduce((s, p) => s + processRssBytes(p), 0);
      log(
        `  ${label.padEnd(7)} ${kfmt((c.playlists + c.parts) / dt)} req/s (${kfmt(c.parts / dt)} parts/s), errors ${errorTotal(c)}, resyncs ${c.resyncs}; ${side} ${((b.serverCpu - a.serverCpu) / (b.t - a.t)).toFixed(2)} cores${elu !== undefined ? ` (loop ${pct(elu, 0)})` : ''}, RSS ${mib(rss)}; loadgen ${((b.loadgenCpu - a.loadgenCpu) / (b.t - a.t)).toFixed(2)} cores (loop max ${pct(b.eluMax, 0)}); machine ${pct(busy, 0)}`,
      );
    };

    // Ramp + warm-up, with progress.
    const startAt = monoMs();
    let prev = await readAll();
    while (monoMs() - startAt < rampMs + WARMUP_S * 1000 - PROGRESS_MS / 2) {
      await sleep(Math.min(PROGRESS_MS, startAt + rampMs + WARMUP_S * 1000 - monoMs()));
      const now = await readAll();
      progressLine(prev, now, 'warm-up', await nextElu());
      prev = now;
    }
    await sleep(startAt + rampMs + WARMUP_S * 1000 - monoMs());

    // The window.
    await nextElu();
    const stats0 = lastStats;
    const w0 = await readAll();
    prev = w0;
    const windowEnd = w0.t + DURATION_S * 1000;
    while (monoMs() < windowEnd - 100) {
      await sleep(Math.min(PROGRESS_MS, windowEnd - monoMs()));
      const now = await readAll();
      progressLine(prev, now, 'window', await nextElu());
      prev = now;
    }
    const w1 = prev;
    const windowElu = side === 'origin' ? eluOf(stats0, lastStats) : undefined;
    const originAsked = stats0 && lastStats ? lastStats.playlistRequests + lastStats.mediaRequests - stats0.playlistRequests - stats0.mediaRequests : NaN;
    const serverRss = serverPids().reduce((s, p) => s + processRssBytes(p), 0);

    // Deliveries of the window's last parts are counted until the grace ends.
    await sleep(GRACE_S * 1000);
    const parts: [number, number][] = [];
    const lags: number[] = [];
    for (const p of published.values()) {
      const t = fromOrigin ? p.tOrigin : p.tNginx;
      if (t === undefined || t < w0.t || t > w1.t) continue;
      parts.push([p.seq, t]);
      lags.push((fromOrigin ? p.tOrigin : p.tNginx!) - p.tTick);
    }
    const lgResults = await Promise.all(running.loadgens.map((l) => l.stop(parts)));

    const partHist = new Map<number, number>();
    const playlistHist = new Map<number, number>();
    let partMissing = 0;
    let playlistMissing = 0;
    const perPart = new Map<number, { got: number; within: number }>();
    for (const r of lgResults) {
      for (const [b, c] of r.partHist) partHist.set(b, (partHist.get(b) ?? 0) + c);
      for (const [b, c] of r.playlistHist) playlistHist.set(b, (playlistHist.get(b) ?? 0) + c);
      partMissing += r.partMissing;
      playlistMissing += r.playlistMissing;
      for (const [seq, got, within] of r.perPart) {
        const e = perPart.get(seq) ?? { got: 0, within: 0 };
        e.got += got;
        e.within += within;
        perPart.set(seq, e);
      }
    }
    let withinAll = 0;
    let partsOk = 0;
    let worst = 1;
    for (const e of perPart.values()) {
      withinAll += e.within;
      const f = e.within / n;
      worst = Math.min(worst, f);
      if (f >= 0.99) partsOk++;
    }
    const c = diffCounters(w0.counters, w1.counters);
    const dtMs = w1.t - w0.t;
    const dt = dtMs / 1000;
    const result: PhaseResult = {
      side,
      n,
      reqPerS: (c.playlists + c.parts) / dt,
      partsPerS: c.parts / dt,
      mbPerS: c.bytes / dt / 1e6,
      counters: c,
      partP50: histPercentile(partHist, partMissing, 0.5),
      partP99: histPercentile(partHist, partMissing, 0.99),
      playlistP50: histPercentile(playlistHist, playlistMissing, 0.5),
      playlistP99: histPercentile(playlistHist, playlistMissing, 0.99),
      pooledWithin: perPart.size ? withinAll / (perPart.size * n) : 0,
      partsInWindow: perPart.size,
      partsOk,
      worstPart: perPart.size ? worst : 0,
      serverCores: (w1.serverCpu - w0.serverCpu) / dtMs,
      serverRss,
      serverElu: windowElu,
      redisCores: (w1.redisCpu - w0.redisCpu) / dtMs,
      s3Cores: (w1.s3Cpu - w0.s3Cpu) / dtMs,
      loadgenCores: (w1.loadgenCpu - w0.loadgenCpu) / dtMs,
      loadgenEluMax: w1.eluMax,
      machineBusy: cpuDelta(w0.machine, w1.machine)[0]?.busy ?? 0,
      publishLagP99: percentile(ascending(lags), 0.99),
      publishLagMax: lags.length ? Math.max(...lags) : NaN,
      othersCores: Math.max(0, (cpuDelta(w0.machine, w1.machine)[0]?.busy ?? 0) * NCPU - (w1.allCpu - w0.allCpu) / dtMs),
      publishFailures: lastStats?.publishFailures ?? 0,
      s3GetsPerPart: stats0 && lastStats && parts.length ? (lastStats.storageGets - stats0.storageGets) / parts.length : NaN,
      originRequestsPerPart: parts.length ? originAsked / parts.length : NaN,
      originCores: (w1.originCpu - w0.originCpu) / dtMs,
      pass: false,
    };
    result.pass = perPart.size > 0 && partsOk === perPart.size && errorTotal(c) === 0 && result.publishFailures === 0;
    log(
      `  result  ${kfmt(result.reqPerS)} req/s, ${result.mbPerS.toFixed(0)} MB/s; part delivery delay p50 ${ms(result.partP50)} ms, p99 ${ms(result.partP99)} ms; ` +
        `playlist ${fromOrigin ? 'response' : 'first-listing'} delay p50 ${ms(result.playlistP50)} ms, p99 ${ms(result.playlistP99)} ms`,
    );
    log(
      `          within ${DEADLINE_MS} ms: ${pct(result.pooledWithin, 2)} of (viewer, part) pairs; parts reaching ≥ 99% of viewers in time: ${partsOk}/${perPart.size} (worst ${pct(result.worstPart)}); ` +
        `errors ${errorText(c)}; resyncs ${c.resyncs}; reconnects ${Math.max(0, c.connects)}`,
    );
    log(
      `          CPU (cores): ${side} ${result.serverCores.toFixed(2)}${result.serverElu !== undefined ? ` (event loop ${pct(result.serverElu, 0)})` : ''}, RSS ${mib(serverRss)}; redis ${result.redisCores.toFixed(2)}, S3 ${result.s3Cores.toFixed(2)}; ` +
        `loadgen ${result.loadgenCores.toFixed(2)} (loop max ${pct(result.loadgenEluMax, 0)}); machine ${pct(result.machineBusy, 0)}, others ${result.othersCores.toFixed(2)}; ` +
        `publish lag (tick → ${fromOrigin ? 'stored in S3+cache' : 'file renamed'}) p99 ${ms(result.publishLagP99)} ms, max ${ms(result.publishLagMax)} ms` +
        (side === 'origin' ? `; origin S3 GETs per part ${result.s3GetsPerPart.toFixed(2)}` : '') +
        (side === 'cache' ? `; origin behind it: ${result.originRequestsPerPart.toFixed(2)} requests per part, ${result.originCores.toFixed(2)} cores` : ''),
    );
    log(`          → ${result.pass ? 'PASS' : 'MISS'} (each part to ≥ 99% of ${n} viewers within ${DEADLINE_MS} ms, no errors)`);
    await sleep(1500); // held requests of the closed connections drain
    return result;
  }

  for (const n of VIEWERS) {
    results.push(await phase('origin', n));
    if (running.nginx) results.push(await phase('nginx', n));
    if (running.cache) results.push(await phase('cache', n));
    log('');
  }

  // Summary.
  log('Summary (same run; the load generator shares the cores; delays from publication: origin = part stored in S3 + cache, nginx = file renamed)');
  const header = '| side | N | req/s | MB/s | part delay p50 / p99 ms | playlist delay p50 / p99 ms | in time | parts ≥ 99% | errors | server cores | µs CPU/req | server RSS | S3 GETs/part | origin req/part (cores) | loadgen cores | others | result |';
  console.log(header);
  console.log('|' + header.split('|').slice(1, -1).map(() => ' --- ').join('|') + '|');
  for (const r of results) {
    console.log(
      `| ${r.side} | ${r.n} | ${kfmt(r.reqPerS)} | ${r.mbPerS.toFixed(0)} | ${ms(r.partP50)} / ${ms(r.partP99)} | ${ms(r.playlistP50)} / ${ms(r.playlistP99)} | ${pct(r.pooledWithin, 2)} | ${r.partsOk}/${r.partsInWindow} | ${errorTotal(r.counters)} | ${r.serverCores.toFixed(2)} | ${r.reqPerS > 0 ? ((r.serverCores * 1e6) / r.reqPerS).toFixed(0) : '–'} | ${mib(r.serverRss)} | ${r.side === 'origin' ? r.s3GetsPerPart.toFixed(2) : '–'} | ${r.side === 'cache' ? `${r.originRequestsPerPart.toFixed(2)} (${r.originCores.toFixed(2)})` : '–'} | ${r.loadgenCores.toFixed(2)} | ${r.othersCores.toFixed(2)} | ${r.pass ? 'PASS' : 'MISS'} |`,
    );
  }
  console.log('');
  for (const n of VIEWERS) {
    const o = results.find((r) => r.side === 'origin' && r.n === n);
    const x = results.find((r) => r.side === 'nginx' && r.n === n);
    if (o && x) console.log(`N=${n}: origin/nginx req/s ${(o.reqPerS / x.reqPerS).toFixed(2)}×, part p99 ${ms(o.partP99)} vs ${ms(x.partP99)} ms (${Number.isFinite(o.partP99 / x.partP99) ? `${(o.partP99 / x.partP99).toFixed(2)}×` : 'no ratio: a side has undelivered parts'}), server CPU ${o.serverCores.toFixed(2)} vs ${x.serverCores.toFixed(2)} cores`);
  }
  for (const r of results.filter((x) => x.side === 'cache')) {
    console.log(`N=${r.n} behind the Varnish cache tier: ${r.pass ? 'PASS' : 'MISS'}, part p99 ${ms(r.partP99)} ms; the origin was asked ${r.originRequestsPerPart.toFixed(2)} times per part (playlist updates + parts, one rendition, one cache node) and used ${r.originCores.toFixed(2)} cores`);
  }
  const passing = results.filter((r) => r.side === 'origin' && r.pass).map((r) => r.n);
  const best = passing.length ? Math.max(...passing) : 0;
  const tried = VIEWERS.some((n) => n >= TARGET_VIEWERS);
  console.log('');
  console.log(
    `Target ≥ ${TARGET_VIEWERS} concurrent LL-HLS viewers per ${NCPU}-core origin (each part to ≥ 99% within ${DEADLINE_MS} ms, no errors): ` +
      (best >= TARGET_VIEWERS ? `PASS (${best} passed)` : tried ? `MISS (largest passing N: ${best || 'none'})` : `NOT TRIED (largest N ${Math.max(...VIEWERS)}; largest passing: ${best || 'none'})`),
  );
}

// ---------------------------------------------------------------------------------------------

const role = process.argv[2];
if (role === '--origin') {
  await originMain();
} else if (role === '--loadgen') {
  await loadgenMain();
} else {
  await runBench({
    main: benchMain,
    cleanup: async () => running.cleanup?.(),
    cleanupSync,
    stopping: 'the load generators, the origin, nginx, Varnish, redis-server and the S3 server',
    graceMs: 8000,
  });
}
