// Bench: POST /v1/rooms on a whole LevelChat node versus a bare express + one Redis SET, side by side,
// then the memory cost of 10,000 idle rooms. Loopback only.
//
//   npm run bench:rooms-create        (builds first; bench/README.md explains the output)
//
// Env: BENCH_DURATION_S (20), BENCH_RATE (1000 req/s), BENCH_CONNECTIONS (50), BENCH_ROOMS (10000),
// BENCH_ROOM_CONCURRENCY (32), BENCH_WARMUP_REQUESTS (1000, unmeasured, per side),
// BENCH_AUTOCANNON_S (20: supplementary autocannon `overallRate` run per side, the load shape of the
// first results; 0 skips it), BENCH_SEQ_REQUESTS (2000: supplementary one-connection run per side; 0 skips it),
// BENCH_REPEAT_BASELINE (1: run the baseline again after LevelChat; 0 skips it),
// BENCH_SERVER_FLAGS (extra node flags for the server process, space-separated, e.g. GC settings to try),
// BENCH_CPU_PROFILE (a directory: CPU-profile the server process during each measured run into
// <dir>/<side>.cpuprofile; the profiler slows the server, so such a run's latencies are not the figures),
// BENCH_BASELINE_HTTP_CLASSES (1: the baseline's server gets the request/response classes LevelChat's
// server uses, src/api/express-http-classes.ts; default 0, stock express as everyone runs it).
//
// Processes of ours: this one drives the bench; it forks itself with `--server` to host the measured
// parts (the LevelChat stack and the baseline app), so no load generator shares an event loop with the
// server it measures. The main phase's load comes from a small C program (bench/lib/http-pacer.c,
// compiled at run time): open loop, evenly paced, latency from each request's due time, and cheap
// enough (~60 µs of CPU per request, most of it the kernel's loopback TCP) not to crowd the 2 cores.
// The server process owns redis-server, the S3 server and the mediasoup worker through the stack,
// as `npm start` would.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import express from 'express';
import type { Redis } from 'ioredis';
import { formatApiKey, generateApiKey } from '../src/auth/api-key.js';
import { HttpPacer } from './lib/http-pacer.js';
// Type only (erased): the stack itself is imported after MEDIASOUP_WORKER_BIN is settled.
import type { Stack as LevelChatStack } from '../src/runtime/stack.js';

// ---------------------------------------------------------------------------------------------
// Shared: the messages between the load generator and the server process.

interface ServerInfo {
  pid: number;
  levelchatUrl: string;
  baselineUrl: string;
  redisUrl: string;
  workers: number;
  startupMs: number;
}

interface PhaseStats {
  cpuUserUs: number;
  cpuSystemUs: number;
  /** Event-loop utilisation of the server process during the phase, 0..1. */
  elu: number;
  /** Garbage-collection pauses of the server process during the phase (they stop its event loop). */
  gc: GcPauses;
  profile?: string;
}

interface GcPauses {
  count: number;
  totalMs: number;
  maxMs: number;
}

function addPause(gc: GcPauses, ms: number): void {
  gc.count += 1;
  gc.totalMs += ms;
  gc.maxMs = Math.max(gc.maxMs, ms);
}

interface MemoryStats {
  rss: number;
  heapUsed: number;
  external: number;
  gcForced: boolean;
}

type Request =
  | { id: number; type: 'phase-start'; profile?: string }
  | { id: number; type: 'phase-end' }
  | { id: number; type: 'memory' }
  | { id: number; type: 'stop' };

type Reply =
  | { type: 'ready'; info: ServerInfo }
  | { type: 'failed'; error: string }
  | { type: 'reply'; id: number; ok: true; value?: unknown }
  | { type: 'reply'; id: number; ok: false; error: string };

const ROOM_CONFIG = { max_participants: 50, preferred_codec: 'av1', record: { enabled: false }, e2ee: false, region_hint: 'eu-fsn' };

// ---------------------------------------------------------------------------------------------
// The server process: LevelChat stack + the baseline app, nothing else.

async function serverMain(): Promise<void> {
  const dataDir = process.env.BENCH_DATA_DIR!;
  const apiKey = process.env.BENCH_API_KEY!;
  // Ctrl-C reaches the whole process group; the load generator decides when we stop.
  process.on('SIGINT', () => {});
  const send = (msg: Reply) => process.send?.(msg);

  const { useCachedMediasoupWorker } = await import('../src/runtime/mediasoup-binary.js');
  useCachedMediasoupWorker();
  const { Stack } = await import('../src/runtime/stack.js');
  const { loadConfig } = await import('../src/config.js');
  const { createLogger } = await import('../common/logger.js');
  const { connectRedis } = await import('../src/runtime/redis.js');

  let stack: LevelChatStack | undefined;
  let baselineRedis: Redis | undefined;
  let baseline: http.Server | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (baseline) await closeServer(baseline);
      if (baselineRedis) await baselineRedis.quit().catch(() => baselineRedis?.disconnect());
      if (stack) await stack.stop();
    })());
  // The load generator went away (crash, kill): clean up our children and leave.
  process.on('disconnect', () => void stop().finally(() => process.exit(0)));

  const t0 = performance.now();
  try {
    const config = loadConfig({
      PORT: '0',
      LEVELCHAT_BIND: '127.0.0.1',
      LEVELCHAT_DATA_DIR: dataDir,
      LEVELCHAT_WORKERS: '1',
      LOG_LEVEL: 'silent',
      LEVELCHAT_API_KEYS: apiKey,
      // The bench measures the request path at 1,000 req/s from one key, above the default limit.
      LEVELCHAT_RATE_LIMIT_RPS: '1000000',
      LEVELCHAT_RATE_LIMIT_BURST: '1000000',
    });
    stack = await Stack.start(config, createLogger('silent'));
    baselineRedis = await connectRedis(stack.summary.redis.url, 'bench-baseline');
    baseline = await startBaseline(baselineRedis);
  } catch (err) {
    send({ type: 'failed', error: (err as Error).stack ?? String(err) });
    await stop();
    process.exit(1);
  }

  const gc = (globalThis as { gc?: () => void }).gc;
  let phase:
    | { cpu: NodeJS.CpuUsage; elu: ReturnType<typeof performance.eventLoopUtilization>; gc: GcPauses; profiler?: ProfilerHandle; profile?: string }
    | undefined;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (phase) addPause(phase.gc, entry.duration);
  }).observe({ entryTypes: ['gc'] });

  process.on('message', (raw) => {
    const msg = raw as Request;
    const reply = (value?: unknown) => send({ type: 'reply', id: msg.id, ok: true, value });
    const fail = (err: unknown) => send({ type: 'reply', id: msg.id, ok: false, error: String((err as Error)?.message ?? err) });
    void (async () => {
      switch (msg.type) {
        case 'phase-start': {
          const profiler = msg.profile ? await startProfiler() : undefined;
          phase = { cpu: process.cpuUsage(), elu: performance.eventLoopUtilization(), gc: { count: 0, totalMs: 0, maxMs: 0 }, profiler, profile: msg.profile };
          return reply();
        }
        case 'phase-end': {
          if (!phase) throw new Error('no phase started');
          const cpu = process.cpuUsage(phase.cpu);
          const elu = performance.eventLoopUtilization(phase.elu).utilization;
          const stats: PhaseStats = { cpuUserUs: cpu.user, cpuSystemUs: cpu.system, elu, gc: phase.gc };
          if (phase.profiler && phase.profile) {
            writeFileSync(phase.profile, JSON.stringify(await phase.profiler.stop()));
            stats.profile = phase.profile;
          }
          phase = undefined;
          return reply(stats);
        }
        case 'memory': {
          if (gc) {
            gc();
            gc();
          }
          const m = process.memoryUsage();
          return reply({ rss: m.rss, heapUsed: m.heapUsed, external: m.external, gcForced: Boolean(gc) } satisfies MemoryStats);
        }
        case 'stop':
          await stop();
          reply();
          process.disconnect?.();
          setImmediate(() => process.exit(0));
          return;
      }
    })().catch(fail);
  });

  const { port } = baseline.address() as AddressInfo;
  send({
    type: 'ready',
    info: {
      pid: process.pid,
      levelchatUrl: stack.summary.url,
      baselineUrl: `http://127.0.0.1:${port}`,
      redisUrl: stack.summary.redis.url,
      workers: stack.summary.workers,
      startupMs: performance.now() - t0,
    },
  });
}

/**
 * The bare baseline: express.json() and exactly one Redis SET per request, on Node's own request
 * and response classes unless BENCH_BASELINE_HTTP_CLASSES=1.
 */
async function startBaseline(redis: Redis): Promise<http.Server> {
  const app = express();
  let counter = 0;
  app.post('/v1/rooms', express.json(), async (req, res) => {
    counter += 1;
    await redis.set(`bench:baseline:${counter}`, JSON.stringify(req.body));
    res.status(201).json({ id: `b_${counter}`, created: true });
  });
  const { expressHttpClasses } = await import('../src/api/express-http-classes.js');
  const options = process.env.BENCH_BASELINE_HTTP_CLASSES === '1' ? expressHttpClasses(app) : {};
  return new Promise((resolve, reject) => {
    const server = http.createServer(options, app);
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

interface ProfilerHandle {
  stop(): Promise<unknown>;
}

async function startProfiler(): Promise<ProfilerHandle> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      return profile;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The load generator.

const env = (name: string, fallback: number) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number (got ${JSON.stringify(raw)})`);
  return n;
};

interface Settings {
  durationS: number;
  rate: number;
  connections: number;
  rooms: number;
  roomConcurrency: number;
  warmup: number;
  seqRequests: number;
  autocannonS: number;
  repeatBaseline: boolean;
  profile: string | undefined;
  serverFlags: string[];
}

class ServerProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly exited: Promise<number | null>;
  readonly ready: Promise<ServerInfo>;

  constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    this.ready = new Promise((resolve, reject) => {
      child.on('message', (raw) => {
        const msg = raw as Reply;
        if (msg.type === 'ready') resolve(msg.info);
        else if (msg.type === 'failed') reject(new Error(`server process failed to start:\n${msg.error}`));
        else {
          const p = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          if (msg.ok) p?.resolve(msg.value);
          else p?.reject(new Error(msg.error));
        }
      });
      void this.exited.then((code) => {
        const err = new Error(`server process exited (code ${code})`);
        reject(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
    });
    this.ready.catch(() => {});
  }

  call<T>(msg: Omit<Request, 'id'>, timeoutMs = 30_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`server process did not answer ${msg.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      if (this.child.connected) this.child.send({ ...msg, id });
      else {
        this.pending.get(id)?.reject(new Error('server process is gone'));
        this.pending.delete(id);
      }
    });
  }
}

/** Exact percentiles (nearest rank) of every 2xx response's latency, ms. */
interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

interface LoadResult {
  label: string;
  durationS: number;
  completed: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** Requests the pacer started ≥ 1 ms after their due time; undefined for the other drivers. */
  lateStarts: number | undefined;
  statusCodes: Record<string, number>;
  latency: LatencySummary;
  server: PhaseStats;
  redisCpuMs: number | undefined;
  loadGenCpuMs: number;
  machineBusy: number | undefined;
  /** Wall time of the measured phase, s. */
  wallS: number;
}

const pct = (sorted: Float64Array, q: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

function summarize(latencies: number[]): LatencySummary {
  const sorted = Float64Array.from(latencies).sort();
  return { p50: pct(sorted, 0.5), p90: pct(sorted, 0.9), p99: pct(sorted, 0.99), p999: pct(sorted, 0.999), max: pct(sorted, 1) };
}

const fmtMs = (v: number) => (Number.isNaN(v) ? 'n/a' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
const fmtBytes = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const log = (line = '') => process.stdout.write(`${line}\n`);

/** utime+stime of a process in ms from /proc (USER_HZ = 100), or undefined off Linux. */
function procCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

function machineCpu(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

// The guide's body with a new external_id per request, so every request creates a room.
let externalSeq = 0;
const runTag = Date.now().toString(36);
const roomBody = (externalId = `bench-${runTag}-${++externalSeq}`) => JSON.stringify({ external_id: externalId, type: 'meeting', config: ROOM_CONFIG });

interface LoadOptions {
  label: string;
  url: string;
  apiKey: string;
  connections: number;
  durationS?: number;
  amount?: number;
  rate?: number;
}

/**
 * What one way of driving load reports. In-process drivers hand each latency to `onResponse` as it
 * comes; an external one reports its own `latency` summary and CPU.
 */
interface DriveOutcome {
  /** The driver's own run time; undefined: from the start to the last response. */
  durationS: number | undefined;
  ok: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
  latency?: LatencySummary;
  lateStarts?: number;
  /** CPU of a load-generating process other than this one, ms. */
  externalCpuMs?: number;
}

type Driver = (onResponse: (status: number, ms: number) => void, onTick: () => void) => Promise<DriveOutcome>;

/** autocannon, as asked: `overallRate` over `connections` (each connection gets rate/connections per second). */
function autocannonDriver(o: LoadOptions): Driver {
  return (onResponse, onTick) =>
    new Promise((resolve, reject) => {
      const instance = autocannon(
        {
          url: `${o.url}/v1/rooms`,
          method: 'POST',
          connections: o.connections,
          ...(o.amount ? { amount: o.amount } : { duration: o.durationS ?? 1 }),
          ...(o.rate ? { overallRate: o.rate } : {}),
          headers: { 'content-type': 'application/json', authorization: `Bearer ${o.apiKey}` },
          // A new external_id per request, so every request creates a room.
          requests: [{ setupRequest: (req) => ({ ...req, body: roomBody() }) }],
        },
        (err, result) => {
          if (err) return reject(err);
          resolve({
            // autocannon reports whole seconds and ends an amount-bound run on its next 1 s tick:
            // such runs are timed from the start to their last response instead.
            durationS: o.amount ? undefined : result.duration,
            ok: result['2xx'],
            non2xx: result.non2xx,
            errors: result.errors,
            statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([k, v]) => [k, v.count])),
          });
        },
      );
      instance.on('response', (_client, status, _bytes, ms) => onResponse(status, ms));
      instance.on('tick', onTick);
    });
}

let pacerRuns = 0;

/**
 * The main phase's load: the C pacer, open loop, request i due at t0 + i/rate, latency from that due
 * time. `connections` keep-alive connections are opened first and used oldest-idle first; while all
 * are busy (a stall), it opens more, up to 4× as many.
 */
function pacerDriver(pacer: HttpPacer, o: LoadOptions & { rate: number; durationS: number }): Driver {
  // A prefix of its own per run: "{seq}" restarts at 0 in every pacer process.
  const bodyTemplate = roomBody(`bench-${runTag}-p${++pacerRuns}-{seq}`);
  return async () => {
    const r = await pacer.run(
      {
        url: o.url,
        rate: o.rate,
        durationS: o.durationS,
        connections: o.connections,
        maxConnections: 4 * o.connections,
        method: 'POST',
        path: '/v1/rooms',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${o.apiKey}` },
        bodyTemplate,
        label: o.label,
      },
      (line) => log(`  ${line}`),
    );
    const l = r.latency_ms;
    return {
      durationS: r.elapsed_s,
      ok: r.ok,
      non2xx: r.non2xx,
      errors: r.errors,
      statusCodes: r.status,
      latency: { p50: l.p50, p90: l.p90, p99: l.p99, p999: l.p99_9, max: l.max },
      lateStarts: r.late_starts,
      externalCpuMs: r.cpu_ms,
    };
  };
}

async function measuredLoad(
  label: string,
  drive: Driver,
  server: ServerProcess,
  redisPid: number | undefined,
  options: { progressOfS?: number; profile?: string } = {},
): Promise<LoadResult> {
  const all: number[] = [];
  let window: number[] = [];
  let windowNon2xx = 0;
  let windowGap = 0;
  let lastResponse = 0;
  let non2xxSeen = 0;
  let ticks = 0;

  await server.call({ type: 'phase-start', ...(options.profile ? { profile: options.profile } : {}) });
  const redisCpu0 = redisPid ? procCpuMs(redisPid) : undefined;
  const genCpu0 = process.cpuUsage();
  const machine0 = machineCpu();
  const t0 = performance.now();

  const outcome = await drive(
    (status, ms) => {
      const now = performance.now();
      if (lastResponse > 0) windowGap = Math.max(windowGap, now - lastResponse);
      lastResponse = now;
      if (status >= 200 && status < 300) {
        all.push(ms);
        window.push(ms);
      } else {
        windowNon2xx += 1;
        non2xxSeen += 1;
      }
    },
    () => {
      const n = window.length + windowNon2xx;
      if (options.progressOfS !== undefined && (n > 0 || ticks < options.progressOfS)) {
        ticks += 1;
        const w = Float64Array.from(window).sort();
        const gap = n > 0 ? `${windowGap.toFixed(0)} ms` : '-';
        log(
          `  [${label}] ${(ticks > options.progressOfS ? 'tail' : `${String(ticks).padStart(2)}/${options.progressOfS} s`).padEnd(7)} ${String(n).padStart(5)} resp/s, longest silence ${gap.padStart(6)}` +
            `  p50 ${fmtMs(pct(w, 0.5)).padStart(6)}  p99 ${fmtMs(pct(w, 0.99)).padStart(6)}  max ${fmtMs(pct(w, 1)).padStart(6)} ms` +
            `  non-2xx so far ${non2xxSeen}  (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
        );
      }
      window = [];
      windowNon2xx = 0;
      windowGap = 0;
    },
  );

  const wallS = (performance.now() - t0) / 1000;
  const genCpu = process.cpuUsage(genCpu0);
  const machine1 = machineCpu();
  const redisCpu1 = redisPid ? procCpuMs(redisPid) : undefined;
  const serverStats = await server.call<PhaseStats>({ type: 'phase-end' }, 120_000);
  return {
    label,
    durationS: outcome.durationS ?? (lastResponse - t0) / 1000,
    completed: outcome.ok + outcome.non2xx,
    ok: outcome.ok,
    non2xx: outcome.non2xx,
    errors: outcome.errors,
    lateStarts: outcome.lateStarts,
    statusCodes: outcome.statusCodes,
    latency: outcome.latency ?? summarize(all),
    server: serverStats,
    redisCpuMs: redisCpu0 !== undefined && redisCpu1 !== undefined ? redisCpu1 - redisCpu0 : undefined,
    loadGenCpuMs: (genCpu.user + genCpu.system) / 1000 + (outcome.externalCpuMs ?? 0),
    machineBusy: machine0 && machine1 ? (machine1.busy - machine0.busy) / (machine1.total - machine0.total) : undefined,
    wallS,
  };
}

/** CPU (in cores) used during the phase by everything but the server process, redis-server and this load generator. */
function others(r: LoadResult): number | undefined {
  if (r.machineBusy === undefined || r.redisCpuMs === undefined) return undefined;
  const ours = (r.server.cpuUserUs + r.server.cpuSystemUs) / 1000 + r.redisCpuMs + r.loadGenCpuMs;
  return Math.max(0, r.machineBusy * os.cpus().length - ours / 1000 / r.wallS);
}

function printTable(rows: LoadResult[]): void {
  const head =
    'side           req/s     2xx  non-2xx  err   late   p50 ms   p90 ms   p99 ms p99.9 ms   max ms | srv CPU  redis CPU  loadgen CPU | srv loop    srv GC pauses | machine  others';
  const unit =
    '                                                                                      | µs/req    µs/req     µs/req    |   busy     n  total  max ms |   busy   cores';
  log(head);
  log(unit);
  log('-'.repeat(head.length));
  for (const r of rows) {
    const n = Math.max(1, r.completed);
    const srvUs = (r.server.cpuUserUs + r.server.cpuSystemUs) / n;
    const redisUs = r.redisCpuMs === undefined ? undefined : (r.redisCpuMs * 1000) / n;
    const genUs = (r.loadGenCpuMs * 1000) / n;
    const l = r.latency;
    log(
      `${r.label.padEnd(13)} ${(r.completed / r.durationS).toFixed(1).padStart(6)} ${String(r.ok).padStart(7)} ${String(r.non2xx).padStart(8)} ${String(r.errors).padStart(4)}` +
        ` ${(r.lateStarts === undefined ? '-' : String(r.lateStarts)).padStart(6)}` +
        [l.p50, l.p90, l.p99, l.p999, l.max].map((v) => ` ${fmtMs(v).padStart(8)}`).join('') +
        ` | ${srvUs.toFixed(0).padStart(6)} ${(redisUs === undefined ? 'n/a' : redisUs.toFixed(0)).padStart(10)} ${genUs.toFixed(0).padStart(12)}    ` +
        `| ${`${(r.server.elu * 100).toFixed(0)}%`.padStart(6)}` +
        ` ${String(r.server.gc.count).padStart(5)} ${r.server.gc.totalMs.toFixed(0).padStart(6)} ${fmtMs(r.server.gc.maxMs).padStart(6)} ` +
        `| ${(r.machineBusy === undefined ? 'n/a' : `${(r.machineBusy * 100).toFixed(0)}%`).padStart(6)}` +
        ` ${(others(r)?.toFixed(2) ?? 'n/a').padStart(7)}`,
    );
  }
  // Every request is meant to create a room: anything but 201 (even a 200, "already existed") is worth a line.
  for (const r of rows) {
    const odd = Object.keys(r.statusCodes).filter((code) => code !== '201');
    if (odd.length || r.errors) log(`  ${r.label}: status codes ${JSON.stringify(r.statusCodes)}, connection errors ${r.errors}`);
  }
}

/** "LevelChat / baseline" latency ratios of two rows, as printed. */
function ratioLine(what: string, lc: LoadResult, base: LoadResult): string {
  return `ratio     LevelChat / ${what}:  p50 ${(lc.latency.p50 / base.latency.p50).toFixed(2)}×   p99 ${(lc.latency.p99 / base.latency.p99).toFixed(2)}×`;
}

async function createRooms(url: string, apiKey: string, total: number, concurrency: number): Promise<{ created: number; failed: number; ms: number; sampleId: string | undefined }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const { hostname, port } = new URL(url);
  let issued = 0;
  let created = 0;
  let failed = 0;
  let sampleId: string | undefined;
  const t0 = performance.now();
  const post = (body: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(
        {
          agent,
          hostname,
          port,
          method: 'POST',
          path: '/v1/rooms',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${apiKey}` },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const worker = async () => {
    while (issued < total) {
      issued += 1;
      const { status, text } = await post(roomBody());
      if (status === 201) {
        created += 1;
        sampleId ??= (JSON.parse(text) as { id: string }).id;
      } else {
        failed += 1;
        if (failed <= 3) log(`  unexpected ${status}: ${text.slice(0, 200)}`);
      }
      const done = created + failed;
      if (done % 1000 === 0) {
        const s = (performance.now() - t0) / 1000;
        log(`  [rooms] ${String(done).padStart(6)}/${total}  ${(done / s).toFixed(0)} rooms/s  failed ${failed}  (${s.toFixed(1)} s)`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  } finally {
    agent.destroy();
  }
  return { created, failed, ms: performance.now() - t0, sampleId };
}

async function redisMemory(redis: Redis): Promise<{ used: number; dataset: number; keys: number }> {
  const info = await redis.info('memory');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return { used: field('used_memory'), dataset: field('used_memory_dataset'), keys: await redis.dbsize() };
}

/** Kills what a server process left behind (only if it had to be killed): pids from the data dir's pid files. */
function killLeftovers(dataDir: string): void {
  const runDir = path.join(dataDir, 'run');
  let files: string[] = [];
  try {
    files = readdirSync(runDir).filter((f) => f.endsWith('.child.pid'));
  } catch {
    return;
  }
  for (const file of files) {
    const pid = Number(readFileSync(path.join(runDir, file), 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
        log(`  killed leftover ${file.replace('.child.pid', '')} (pid ${pid})`);
      } catch {
        // Already gone.
      }
    }
  }
}

async function benchMain(): Promise<void> {
  const s: Settings = {
    durationS: env('BENCH_DURATION_S', 20),
    rate: env('BENCH_RATE', 1000),
    connections: env('BENCH_CONNECTIONS', 50),
    rooms: env('BENCH_ROOMS', 10_000),
    roomConcurrency: env('BENCH_ROOM_CONCURRENCY', 32),
    warmup: env('BENCH_WARMUP_REQUESTS', 1000),
    seqRequests: env('BENCH_SEQ_REQUESTS', 2000),
    autocannonS: env('BENCH_AUTOCANNON_S', 20),
    repeatBaseline: env('BENCH_REPEAT_BASELINE', 1) !== 0,
    profile: process.env.BENCH_CPU_PROFILE ? path.resolve(process.env.BENCH_CPU_PROFILE) : undefined,
    serverFlags: (process.env.BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean),
  };
  const pacer = HttpPacer.build();
  const cpus = os.cpus();
  const [l1, l5, l15] = os.loadavg();
  log('LevelChat bench: POST /v1/rooms — LevelChat node vs bare express + one Redis SET (loopback only)');
  log(`machine   ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), loadavg ${l1!.toFixed(2)} ${l5!.toFixed(2)} ${l15!.toFixed(2)}, ${Math.round(os.totalmem() / 2 ** 20)} MiB RAM, node ${process.version}`);
  log(`NOTE      the ${cpus.length} cores are shared by the load generator, the measured server process, redis-server,`);
  log('          the embedded S3 server and the (idle) mediasoup worker: numbers are for this machine, not a capacity claim.');
  log(`load      main phase: the C pacer (bench/lib/http-pacer.c), open loop, ${s.rate} req/s evenly spaced (request i due at t0 + i/rate),`);
  log(`          ${s.connections} keep-alive connections used oldest-idle first (up to ${4 * s.connections} while all are busy), ${s.durationS} s per side: baseline,`);
  log(`          LevelChat, baseline again. POST /v1/rooms with a new external_id per request; ${s.warmup} unmeasured warm-up requests per side first.`);
  log(`          The pacer runs ${pacer.realtime ? 'under SCHED_FIFO priority 1 (chrt -f 1), so its send times are exact' : 'at normal priority (chrt -f 1 not permitted here): expect some late starts'}.`);
  log('latency   exact percentiles over every 2xx response, counted from the request\'s DUE time, so a request that started late');
  log('          ("late": ≥ 1 ms after its due time, for want of a free connection or because the pacer itself ran late) is not hidden.');
  log('columns   srv/redis/loadgen CPU = user+system CPU of the measured node process / redis-server / the load generator');
  log('          (this process, plus the pacer in the main phase) per response;');
  log('          srv loop busy = event-loop utilisation of the measured process; srv GC pauses = its garbage collections (count,');
  log('          total and longest pause: each stops its event loop); machine busy = all CPUs; others = cores used by');
  log('          everything else (S3 server, mediasoup worker, foreign processes): above ~0.1 the run was disturbed.');
  const idle0 = machineCpu();
  await new Promise((r) => setTimeout(r, 1000));
  const idle1 = machineCpu();
  if (idle0 && idle1) {
    const busy = (idle1.busy - idle0.busy) / (idle1.total - idle0.total);
    log(`before    the machine was ${(busy * 100).toFixed(0)}% busy over 1 s before the bench started (other processes)${busy > 0.15 ? ' — WARNING: results will be noisy' : ''}`);
  }
  log('');

  if (s.profile) mkdirSync(s.profile, { recursive: true });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'levelchat-bench-'));
  const apiKey = formatApiKey(generateApiKey());
  let server: ServerProcess | undefined;
  let redis: Redis | undefined;
  let cleaned: Promise<void> | undefined;

  const cleanup = () =>
    (cleaned ??= (async () => {
      log('');
      log('cleanup   stopping redis client, server process (stack + baseline), removing the data dir and the pacer binary');
      if (redis) await redis.quit().catch(() => redis?.disconnect());
      if (server && server.child.exitCode === null && server.child.signalCode === null) {
        await server.call({ type: 'stop' }, 20_000).catch((err: Error) => log(`  stop: ${err.message}`));
        const exited = await Promise.race([server.exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 10_000))]);
        if (!exited) {
          log(`  server process ${server.child.pid} did not exit: killing it and what it started`);
          server.child.kill('SIGKILL');
          killLeftovers(dataDir);
          await server.exited;
        }
      } else if (server) {
        killLeftovers(dataDir);
      }
      rmSync(dataDir, { recursive: true, force: true });
      pacer.dispose();
      log('cleanup   done');
    })());

  const onSignal = (sig: NodeJS.Signals) => {
    log(`\n${sig}: stopping`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    log(`starting  server process: LevelChat stack (embedded redis-server + S3, 1 mediasoup worker, PORT 0) + baseline app; data dir ${dataDir}`);
    if (s.serverFlags.length) log(`          server process node flags: ${s.serverFlags.join(' ')}`);
    const child = fork(fileURLToPath(import.meta.url), ['--server'], {
      execArgv: ['--expose-gc', ...s.serverFlags],
      env: { ...process.env, BENCH_DATA_DIR: dataDir, BENCH_API_KEY: apiKey },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    server = new ServerProcess(child);
    const waiting = setInterval(() => log('  …still starting'), 2000);
    const info = await server.ready.finally(() => clearInterval(waiting));

    const { connectRedis } = await import('../src/runtime/redis.js');
    redis = await connectRedis(info.redisUrl, 'bench-observer');
    const redisPid = Number(/^process_id:(\d+)/m.exec(await redis.info('server'))?.[1]) || undefined;
    log(`ready     in ${(info.startupMs / 1000).toFixed(1)} s. Measured node process: pid ${info.pid} (hosts both sides, one at a time).`);
    log(`          load generator pid ${process.pid}; redis-server pid ${redisPid ?? '?'} at ${info.redisUrl} (shared by both sides); ${info.workers} mediasoup worker`);
    log(`          LevelChat ${info.levelchatUrl}   baseline ${info.baselineUrl}`);
    log(`          baseline on ${process.env.BENCH_BASELINE_HTTP_CLASSES === '1' ? "LevelChat's request/response classes (BENCH_BASELINE_HTTP_CLASSES=1)" : "Node's own request/response classes, stock express"}`);

    // Sanity: one request each, so a broken setup fails here and not as 20 s of errors.
    for (const [label, url] of [['baseline', info.baselineUrl], ['levelchat', info.levelchatUrl]] as const) {
      const res = await fetch(`${url}/v1/rooms`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` }, body: roomBody() });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`${label}: POST /v1/rooms answered ${res.status}: ${text.slice(0, 300)}`);
      log(`check     ${label.padEnd(9)} 201, ${text.length} bytes: ${text.slice(0, 110)}${text.length > 110 ? '…' : ''}`);
    }
    log('');

    const sides = [
      { label: 'baseline', url: info.baselineUrl },
      { label: 'levelchat', url: info.levelchatUrl },
      ...(s.repeatBaseline ? [{ label: 'baseline #2', url: info.baselineUrl }] : []),
    ];
    const results: LoadResult[] = [];
    for (const side of sides) {
      if (s.warmup > 0 && !side.label.includes('#2')) {
        log(`warm-up   ${side.label}: ${s.warmup} requests, 10 connections, unthrottled`);
        await autocannonDriver({ label: side.label, url: side.url, apiKey, connections: 10, amount: s.warmup })(() => {}, () => {});
      }
      const profile = s.profile ? path.join(s.profile, `${side.label.replace(/\W+/g, '-')}.cpuprofile`) : undefined;
      log(`run       ${side.label}: ${s.durationS} s at ${s.rate} req/s, ${s.connections} connections${profile ? ` (CPU-profiling the server into ${profile}: slower than usual)` : ''}`);
      const drive = pacerDriver(pacer, { label: side.label, url: side.url, apiKey, connections: s.connections, durationS: s.durationS, rate: s.rate });
      results.push(await measuredLoad(side.label, drive, server, redisPid, profile ? { profile } : {}));
    }

    log('');
    log(`RESULTS   POST /v1/rooms at ${s.rate} req/s for ${s.durationS} s, C pacer, ${s.connections} connections (measured server pid ${info.pid}, ${cpus.length} CPUs shared)`);
    printTable(results);
    const [base, lc, base2] = results as [LoadResult, LoadResult, LoadResult | undefined];
    const lcP99 = lc.latency.p99;
    const r99 = lcP99 / base.latency.p99;
    log('');
    log(ratioLine('baseline', lc, base));
    if (base2) log(ratioLine('baseline #2', lc, base2));
    const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
    log('targets   (LevelChat, exact p99 at the fixed rate)');
    log(`  guide promise  p99 < 100 ms             ${verdict(lcP99 < 100)}  (${fmtMs(lcP99)} ms)`);
    log(`  our target     p99 ≤ 5 ms               ${verdict(lcP99 <= 5)}  (${fmtMs(lcP99)} ms)`);
    log(`  our target     p99 ≤ 1.5× baseline p99  ${verdict(r99 <= 1.5)}  (${r99.toFixed(2)}×; baseline p99 ${fmtMs(base.latency.p99)} ms)`);
    log('  (a MISS is reported, not fatal: this bench exits 0 when it ran.)');
    for (const r of results) if (r.server.profile) log(`profile   ${r.label}: server CPU profile in ${r.server.profile} (open in Chrome DevTools → Performance)`);

    if (s.autocannonS > 0) {
      log('');
      log(`autocannon (supplementary: the load shape of the first results): autocannon 8, overallRate ${s.rate} req/s, ${s.connections} connections,`);
      log(`          ${s.autocannonS} s per side. Each connection sends its ${(s.rate / Math.max(1, s.connections)).toFixed(0)} req/s back to back as soon as its second starts: up to`);
      log(`          ${s.connections} requests at once, then silence ("longest silence"), so this mostly measures queueing. Latency here is`);
      log('          request written → response parsed (hrtime), not from a due time.');
      const bursts: LoadResult[] = [];
      for (const side of sides.slice(0, 2)) {
        const drive = autocannonDriver({ label: side.label, url: side.url, apiKey, connections: s.connections, durationS: s.autocannonS, rate: s.rate });
        bursts.push(await measuredLoad(side.label, drive, server, redisPid, { progressOfS: s.autocannonS }));
      }
      printTable(bursts);
      log(ratioLine('baseline (autocannon)', bursts[1]!, bursts[0]!));
    }

    if (s.seqRequests > 0) {
      log('');
      log(`sequential (supplementary): ${s.seqRequests} requests one at a time on 1 connection, no rate limit — per-request cost without queueing`);
      const seq: LoadResult[] = [];
      for (const side of sides.slice(0, 2)) {
        seq.push(await measuredLoad(side.label, autocannonDriver({ label: side.label, url: side.url, apiKey, connections: 1, amount: s.seqRequests }), server, redisPid));
      }
      printTable(seq);
      log(ratioLine('baseline (sequential)', seq[1]!, seq[0]!));
    }

    if (s.rooms > 0) {
      log('');
      log(`memory    creating ${s.rooms} idle rooms through the API (${s.roomConcurrency} concurrent requests)`);
      const mem0 = await server.call<MemoryStats>({ type: 'memory' });
      const red0 = await redisMemory(redis);
      const made = await createRooms(info.levelchatUrl, apiKey, s.rooms, s.roomConcurrency);
      const mem1 = await server.call<MemoryStats>({ type: 'memory' });
      const red1 = await redisMemory(redis);
      const n = Math.max(1, made.created);
      log(`  created ${made.created} rooms (${made.failed} failed) in ${(made.ms / 1000).toFixed(1)} s (${((made.created / made.ms) * 1000).toFixed(0)} rooms/s)`);
      log(`                             before          after          delta      per room${mem0.gcForced ? '   (node: after a forced GC)' : ''}`);
      const row = (name: string, a: number, b: number) =>
        log(`  ${name.padEnd(26)} ${fmtBytes(a).padStart(10)} ${fmtBytes(b).padStart(14)} ${fmtBytes(b - a).padStart(14)} ${`${((b - a) / n).toFixed(0)} B`.padStart(12)}`);
      row(`node RSS (pid ${info.pid})`, mem0.rss, mem1.rss);
      row('node heapUsed', mem0.heapUsed, mem1.heapUsed);
      row('redis used_memory', red0.used, red1.used);
      row('redis used_memory_dataset', red0.dataset, red1.dataset);
      log(`  redis keys ${red0.keys} → ${red1.keys} (+${red1.keys - red0.keys}, ${((red1.keys - red0.keys) / n).toFixed(2)} per room)`);
      if (made.sampleId) {
        const usage = async (key: string) => Number(await redis!.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) || 0;
        const doc = await usage(`lc:room:${made.sampleId}`);
        const stream = await usage(`lc:room:${made.sampleId}:events`);
        log(`  one room's keys (MEMORY USAGE): lc:room:<id> ${doc} B, lc:room:<id>:events (1-entry stream) ${stream} B, plus its entry in the owner's sorted-set index`);
      }
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await cleanup();
  }
}

if (process.argv[2] === '--server') {
  await serverMain();
} else {
  try {
    await benchMain();
  } catch (err) {
    log(`\nbench failed: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 1;
  }
}
