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
// server uses, src/api/express-http-classes.ts; default 0, stock express as everyone runs it),
// BENCH_METRICS_SCRAPE_S (5: a side "levelchat+metrics", right after LevelChat's, with GET /metrics
// every that many seconds as Prometheus does; its p99 against LevelChat's is the metrics' cost; 0 skips it).
//
// Processes of ours: this one drives the bench; it forks bench/rooms-create/server.ts to host the
// measured parts (the LevelChat stack and the baseline app), so no load generator shares an event
// loop with the server it measures. The main phase's load comes from a small C program
// (bench/lib/http-pacer.c, compiled at run time): open loop, evenly paced, latency from each
// request's due time, and cheap enough (~60 µs of CPU per request, most of it the kernel's loopback
// TCP) not to crowd the 2 cores. The phases' parts live in bench/rooms-create/: load.ts (the drivers),
// measure.ts (one measured phase), report.ts (the tables), idle-rooms.ts (the memory phase).
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { compiledEntry } from '../common/compiled-entry.js';
import { formatApiKey, generateApiKey } from '../src/auth/api-key.js';
import { envCount } from './lib/env.js';
import { latencyMs, pct } from './lib/format.js';
import { HttpPacer } from './lib/http-pacer.js';
import { RpcChild } from './lib/ipc-rpc.js';
import { log } from './lib/log.js';
import { fetchMetrics, scrapeEvery, scrapeLine } from './lib/metrics-scraper.js';
import { cpuDelta, machineCpu } from './lib/procfs.js';
import { runBench } from './lib/run-bench.js';
import { sleep } from './lib/wait.js';
import { measureIdleRooms } from './rooms-create/idle-rooms.js';
import { autocannonDriver, pacerDriver, roomBody, type LoadOptions } from './rooms-create/load.js';
import { measuredLoad, type LoadResult } from './rooms-create/measure.js';
import { SERVER_ENV, type ServerInfo, type ServerProcess, type ServerRequest } from './rooms-create/protocol.js';
import { printTable, ratioLine } from './rooms-create/report.js';

/** The Env knobs above; read when the bench starts, so a bad value fails it like any other error. */
const readSettings = () => ({
  durationS: envCount('BENCH_DURATION_S', 20),
  rate: envCount('BENCH_RATE', 1000),
  connections: envCount('BENCH_CONNECTIONS', 50),
  rooms: envCount('BENCH_ROOMS', 10_000),
  roomConcurrency: envCount('BENCH_ROOM_CONCURRENCY', 32),
  warmup: envCount('BENCH_WARMUP_REQUESTS', 1000),
  seqRequests: envCount('BENCH_SEQ_REQUESTS', 2000),
  autocannonS: envCount('BENCH_AUTOCANNON_S', 20),
  metricsScrapeS: envCount('BENCH_METRICS_SCRAPE_S', 5),
  repeatBaseline: envCount('BENCH_REPEAT_BASELINE', 1) !== 0,
  profile: process.env.BENCH_CPU_PROFILE ? path.resolve(process.env.BENCH_CPU_PROFILE) : undefined,
  serverFlags: (process.env.BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean),
});

/** What the bench started, for cleanup on any exit path. */
const running: { pacer?: HttpPacer; dataDir?: string; server?: ServerProcess; redis?: Redis } = {};

async function benchMain(): Promise<void> {
  const s = readSettings();
  const pacer = (running.pacer = HttpPacer.build());
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
  await sleep(1000);
  const busy = cpuDelta(idle0, machineCpu())[0]!.busy;
  log(`before    the machine was ${pct(busy, 0)} busy over 1 s before the bench started (other processes)${busy > 0.15 ? ' — WARNING: results will be noisy' : ''}`);
  log('');

  if (s.profile) mkdirSync(s.profile, { recursive: true });
  const dataDir = (running.dataDir = mkdtempSync(path.join(os.tmpdir(), 'levelchat-bench-')));
  const apiKey = formatApiKey(generateApiKey());

  log(`starting  server process: LevelChat stack (embedded redis-server + S3, 1 mediasoup worker, PORT 0) + baseline app; data dir ${dataDir}`);
  if (s.serverFlags.length) log(`          server process node flags: ${s.serverFlags.join(' ')}`);
  const child = fork(compiledEntry('bench/rooms-create/server'), [], {
    execArgv: ['--expose-gc', ...s.serverFlags],
    env: { ...process.env, [SERVER_ENV.dataDir]: dataDir, [SERVER_ENV.apiKey]: apiKey },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const server = (running.server = new RpcChild<ServerRequest, ServerInfo>(child, 'server process'));
  const waiting = setInterval(() => log('  …still starting'), 2000);
  const info = await server.ready.finally(() => clearInterval(waiting));

  const { connectRedis, redactUrl } = await import('../src/runtime/redis.js');
  const redis = (running.redis = await connectRedis(info.redisUrl, 'bench-observer'));
  const redisPid = Number(/^process_id:(\d+)/m.exec(await redis.info('server'))?.[1]) || undefined;
  log(`ready     in ${(info.startupMs / 1000).toFixed(1)} s. Measured node process: pid ${info.pid} (hosts both sides, one at a time).`);
  log(`          load generator pid ${process.pid}; redis-server pid ${redisPid ?? '?'} at ${redactUrl(info.redisUrl)} (shared by both sides); ${info.workers} mediasoup worker`);
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
    ...(s.metricsScrapeS > 0 ? [{ label: 'levelchat+metrics', url: info.levelchatUrl }] : []),
    ...(s.repeatBaseline ? [{ label: 'baseline #2', url: info.baselineUrl }] : []),
  ];
  const results: LoadResult[] = [];
  for (const side of sides) {
    if (s.warmup > 0 && !side.label.includes('#2') && !side.label.includes('+metrics')) {
      log(`warm-up   ${side.label}: ${s.warmup} requests, 10 connections, unthrottled`);
      await autocannonDriver({ label: side.label, url: side.url, apiKey, connections: 10, amount: s.warmup })(() => {}, () => {});
    }
    const profile = s.profile ? path.join(s.profile, `${side.label.replace(/\W+/g, '-')}.cpuprofile`) : undefined;
    log(`run       ${side.label}: ${s.durationS} s at ${s.rate} req/s, ${s.connections} connections${profile ? ` (CPU-profiling the server into ${profile}: slower than usual)` : ''}`);
    const drive = pacerDriver(pacer, { label: side.label, url: side.url, apiKey, connections: s.connections, durationS: s.durationS, rate: s.rate });
    const scraper = side.label.includes('+metrics') ? scrapeEvery(s.metricsScrapeS, () => fetchMetrics(side.url)) : undefined;
    results.push(await measuredLoad(side.label, drive, server, redisPid, profile ? { profile } : {}));
    if (scraper) log(`metrics   ${scrapeLine(s.metricsScrapeS, await scraper.stop())}`);
  }

  log('');
  log(`RESULTS   POST /v1/rooms at ${s.rate} req/s for ${s.durationS} s, C pacer, ${s.connections} connections (measured server pid ${info.pid}, ${cpus.length} CPUs shared)`);
  printTable(results);
  const side = (label: string) => results.find((r) => r.label === label);
  const [base, lc, base2, lcMetrics] = [side('baseline')!, side('levelchat')!, side('baseline #2'), side('levelchat+metrics')];
  const lcP99 = lc.latency.p99;
  const r99 = lcP99 / base.latency.p99;
  log('');
  log(ratioLine('baseline', lc, base));
  if (base2) log(ratioLine('baseline #2', lc, base2));
  if (lcMetrics) log(metricsCostLine(s.metricsScrapeS, lcMetrics, lc));
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  log('targets   (LevelChat, exact p99 at the fixed rate)');
  log(`  guide promise  p99 < 100 ms             ${verdict(lcP99 < 100)}  (${latencyMs(lcP99)} ms)`);
  log(`  our target     p99 ≤ 5 ms               ${verdict(lcP99 <= 5)}  (${latencyMs(lcP99)} ms)`);
  log(`  our target     p99 ≤ 1.5× baseline p99  ${verdict(r99 <= 1.5)}  (${r99.toFixed(2)}×; baseline p99 ${latencyMs(base.latency.p99)} ms)`);
  log('  (a MISS is reported, not fatal: this bench exits 0 when it ran.)');
  for (const r of results) if (r.server.profile) log(`profile   ${r.label}: server CPU profile in ${r.server.profile} (open in Chrome DevTools → Performance)`);

  /** A supplementary run: baseline then LevelChat, each under `load` (same options for both), a table and their ratio. */
  const supplementary = async (what: string, load: Omit<LoadOptions, 'label' | 'url' | 'apiKey'>, options: { progressOfS?: number } = {}) => {
    const rows: LoadResult[] = [];
    for (const side of sides.slice(0, 2)) {
      rows.push(await measuredLoad(side.label, autocannonDriver({ label: side.label, url: side.url, apiKey, ...load }), server, redisPid, options));
    }
    printTable(rows);
    log(ratioLine(`baseline (${what})`, rows[1]!, rows[0]!));
  };

  if (s.autocannonS > 0) {
    log('');
    log(`autocannon (supplementary: the load shape of the first results): autocannon 8, overallRate ${s.rate} req/s, ${s.connections} connections,`);
    log(`          ${s.autocannonS} s per side. Each connection sends its ${(s.rate / Math.max(1, s.connections)).toFixed(0)} req/s back to back as soon as its second starts: up to`);
    log(`          ${s.connections} requests at once, then silence ("longest silence"), so this mostly measures queueing. Latency here is`);
    log('          request written → response parsed (hrtime), not from a due time.');
    await supplementary('autocannon', { connections: s.connections, durationS: s.autocannonS, rate: s.rate }, { progressOfS: s.autocannonS });
  }

  if (s.seqRequests > 0) {
    log('');
    log(`sequential (supplementary): ${s.seqRequests} requests one at a time on 1 connection, no rate limit — per-request cost without queueing`);
    await supplementary('sequential', { connections: 1, amount: s.seqRequests });
  }

  if (s.rooms > 0) {
    log('');
    await measureIdleRooms(server, redis, info, apiKey, s.rooms, s.roomConcurrency);
  }
}

/** LevelChat scraped every `everyS` s against LevelChat not scraped: latency and server CPU per answered request. */
function metricsCostLine(everyS: number, scraped: LoadResult, plain: LoadResult): string {
  const cpuPerOk = (r: LoadResult) => (r.server.cpuUserUs + r.server.cpuSystemUs) / Math.max(1, r.ok);
  const p99 = scraped.latency.p99 / plain.latency.p99;
  return (
    `metrics   LevelChat with GET /metrics every ${everyS} s / without:  p50 ${(scraped.latency.p50 / plain.latency.p50).toFixed(2)}×   p99 ${p99.toFixed(2)}×   ` +
    `server CPU per request ${(cpuPerOk(scraped) / cpuPerOk(plain)).toFixed(2)}×   (target p99 < 1.05×: ${p99 < 1.05 ? 'PASS' : 'MISS'})`
  );
}

let cleaned: Promise<void> | undefined;

/** Stops the redis client and the server process (which stops what it started), then removes our files. */
function cleanup(): Promise<void> {
  return (cleaned ??= (async () => {
    const { redis, server, dataDir } = running;
    if (!dataDir) return;
    log('');
    log('cleanup   stopping redis client, server process (stack + baseline), removing the data dir and the pacer binary');
    if (redis) await redis.quit().catch(() => redis.disconnect());
    if (server) {
      const wasRunning = server.proc.exitCode === null && server.proc.signalCode === null;
      await server.stop(30_000);
      const killed = wasRunning && server.proc.signalCode === 'SIGKILL';
      if (killed) log(`  server process ${server.pid} did not exit: killed it, and now what it started`);
      // A server that crashed or had to be killed did not stop its children (redis-server, S3, worker).
      if (!wasRunning || killed) killLeftovers(dataDir);
    }
    removeFiles();
    log('cleanup   done');
  })());
}

/** On exit, or when cleanup ran out of time: kill what is left, synchronously. */
function cleanupSync(): void {
  const { server, dataDir } = running;
  if (server && server.proc.exitCode === null && server.proc.signalCode === null) {
    server.kill();
    if (dataDir) killLeftovers(dataDir);
  }
  removeFiles();
}

function removeFiles(): void {
  if (running.dataDir) rmSync(running.dataDir, { recursive: true, force: true });
  running.pacer?.dispose();
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

await runBench({
  main: benchMain,
  cleanup,
  cleanupSync,
  stopping: 'the server process (LevelChat stack + baseline) and the pacer',
  graceMs: 40_000,
});
