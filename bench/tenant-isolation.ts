// Bench: does a tenant that floods webhooks move another tenant's latencies? Issue 17, row 2.
//
//   npm run bench:tenant-isolation        (builds first)
//
// Two tenants (two config keys, so two key trees) on one LevelChat node on loopback. The calm one
// creates rooms at a steady pace and has one webhook for room.created at a receiver that answers at
// once. The flooding one has 100 webhooks (5 keys x 20, the cap per key) at a receiver that accepts
// connections and never answers, and creates rooms as fast as its rate limit lets it (every room:
// 20 deliveries that each hang for the whole 10 s attempt deadline). Phases, in one run:
//   1. baseline: the calm tenant alone;
//   2. flood: the same, while the other tenant floods (after a warm-up, so its backlog is built);
//   3. reference (BENCH_REFERENCE=1, default): phase 2 again on a fresh node whose delivery has no
//      per-tenant slots and 16 shared ones, as before this row: what the slots prevent.
// It prints the calm tenant's create and delivery latencies per phase and the flood/baseline p99
// ratios against the target (<= 2x). Receivers are on 127.0.0.1, so the node runs with
// LEVELCHAT_WEBHOOK_ALLOW_PRIVATE=true (the development setting; production refuses such webhooks).
//
// Env: BENCH_DURATION_S (20 per measured phase), BENCH_CALM_RPS (20 creates/s), BENCH_FLOOD_RPS
// (100 creates/s: the default rate limit of a key tree), BENCH_FLOOD_WARMUP_S (5), BENCH_DRAIN_S
// (15: how long deliveries may still arrive after a phase), BENCH_REFERENCE (1; 0 skips phase 3).
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compiledEntry } from '../common/compiled-entry.js';
import { formatApiKey, generateApiKey, parseApiKey } from '../src/auth/api-key.js';
import { envCount, envNumber } from './lib/env.js';
import { latencyMs, lpad, pad } from './lib/format.js';
import { RpcChild } from './lib/ipc-rpc.js';
import { log } from './lib/log.js';
import { runBench } from './lib/run-bench.js';
import { ascending, percentile } from './lib/stats.js';
import { sleep, waitFor } from './lib/wait.js';
import { apiCall, pacedCreates, type Api } from './tenant-isolation/load.js';
import { SERVER_ENV, type Backlog, type ServerInfo, type ServerRequest } from './tenant-isolation/protocol.js';
import { startRecordingReceiver, startSilentReceiver } from './tenant-isolation/receivers.js';

const readSettings = () => ({
  durationS: envNumber('BENCH_DURATION_S', 20),
  calmRps: envNumber('BENCH_CALM_RPS', 20),
  floodRps: envNumber('BENCH_FLOOD_RPS', 100),
  warmupS: envCount('BENCH_FLOOD_WARMUP_S', 5),
  drainS: envCount('BENCH_DRAIN_S', 15),
  reference: envCount('BENCH_REFERENCE', 1) !== 0,
});
type Settings = ReturnType<typeof readSettings>;

const FLOOD_KEYS = 5;
const HOOKS_PER_KEY = 20;

interface PhaseResult {
  label: string;
  creates: number[];
  /** Delivery latency per created room; Infinity for a delivery that never came. */
  deliveries: number[];
  missing: number;
  calmStatuses: Map<number, number>;
  flood?: { statuses: Map<number, number>; attempts: number; mostOpen: number; backlog: Backlog };
}

type Receivers = { calm: Awaited<ReturnType<typeof startRecordingReceiver>>; silent: Awaited<ReturnType<typeof startSilentReceiver>> };
const running: { server?: RpcChild<ServerRequest, ServerInfo>; dataDirs: string[]; receivers?: Receivers } = { dataDirs: [] };

async function startServer(unfair: boolean, keys: string[]): Promise<{ server: RpcChild<ServerRequest, ServerInfo>; info: ServerInfo }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'levelchat-bench-ti-'));
  running.dataDirs.push(dataDir);
  const child = fork(compiledEntry('bench/tenant-isolation/server'), [], {
    env: { ...process.env, [SERVER_ENV.dataDir]: dataDir, [SERVER_ENV.apiKeys]: keys.join(','), [SERVER_ENV.unfair]: unfair ? '1' : '0' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const server = (running.server = new RpcChild<ServerRequest, ServerInfo>(child, 'server process'));
  return { server, info: await server.ready };
}

async function expectStatus(res: Promise<Response>, status: number, what: string): Promise<any> {
  const r = await res;
  const text = await r.text();
  if (r.status !== status) throw new Error(`${what}: ${r.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : undefined;
}

/** The calm tenant's webhook, and the flooding tenant's keys with their webhooks at the silent receiver. */
async function setUpTenants(url: string, calmKey: string, floodKey: string, receivers: Receivers): Promise<{ calm: Api; flood: Api[] }> {
  const calm = { url, key: calmKey };
  await expectStatus(apiCall(calm, 'POST', '/v1/webhooks', { url: receivers.calm.url, events: ['room.created'] }), 201, 'calm webhook');
  const flood: Api[] = [];
  for (let k = 0; k < FLOOD_KEYS; k += 1) {
    const made = await expectStatus(apiCall({ url, key: floodKey }, 'POST', '/v1/keys', { name: `flood-${k}` }), 201, 'flood key');
    const api = { url, key: made.key as string };
    for (let h = 0; h < HOOKS_PER_KEY; h += 1) await expectStatus(apiCall(api, 'POST', '/v1/webhooks', { url: receivers.silent.url }), 201, 'flood webhook');
    flood.push(api);
  }
  return { calm, flood };
}

/** The calm tenant's measured run (with the flood running around it when `flood` is given). */
async function phase(label: string, s: Settings, calm: Api, receivers: Receivers, flood?: { keys: Api[]; server: RpcChild<ServerRequest, ServerInfo>; tree: string }): Promise<PhaseResult> {
  const tag = label.replace(/\W+/g, '-');
  let stopFlood: () => void = () => {};
  const floodDone = flood ? pacedCreates(flood.keys, `flood-${tag}`, s.floodRps, Number.POSITIVE_INFINITY, new Promise<void>((r) => (stopFlood = r))) : undefined;
  if (flood) {
    log(`  flood: ${s.floodRps} creates/s over ${FLOOD_KEYS} keys (${FLOOD_KEYS * HOOKS_PER_KEY} webhooks that never answer); warm-up ${s.warmupS} s`);
    await sleep(s.warmupS * 1000);
    receivers.silent.reset();
  }
  log(`  calm tenant: ${s.calmRps} creates/s for ${s.durationS} s`);
  const calmRun = await pacedCreates([calm], `calm-${tag}`, s.calmRps, s.durationS);
  let backlog: Backlog | undefined;
  if (flood) backlog = await flood.server.call<Backlog>({ type: 'backlog', tree: flood.tree });
  const attempts = receivers.silent.attempts();
  const mostOpen = receivers.silent.mostOpen();
  stopFlood();
  const floodRun = await floodDone;
  const arrived = () => calmRun.rooms.filter((r) => receivers.calm.latencyByRoom.has(r)).length;
  await waitFor(() => arrived() === calmRun.rooms.length, { timeoutMs: s.drainS * 1000, what: 'deliveries' }).catch(() => {});
  const deliveries = calmRun.rooms.map((r) => receivers.calm.latencyByRoom.get(r) ?? Number.POSITIVE_INFINITY);
  return {
    label,
    creates: calmRun.createdMs,
    deliveries,
    missing: calmRun.rooms.length - arrived(),
    calmStatuses: calmRun.statuses,
    ...(floodRun && backlog ? { flood: { statuses: floodRun.statuses, attempts, mostOpen, backlog } } : {}),
  };
}

const statusList = (m: Map<number, number>) => [...m].sort(([a], [b]) => a - b).map(([status, n]) => `${status === 0 ? 'error' : status}: ${n}`).join(', ');
const ms = (v: number) => (Number.isFinite(v) ? latencyMs(v) : 'never');

function printResults(results: PhaseResult[], s: Settings): void {
  log('');
  log(`RESULTS   the calm tenant's latencies (ms): creates from the moment each request left; deliveries from the event's created_at to its arrival`);
  log(`${pad('phase', 34)}${lpad('creates', 8)}${lpad('p50', 8)}${lpad('p99', 8)}${lpad('max', 8)}${lpad('delivered', 11)}${lpad('p50', 8)}${lpad('p99', 8)}${lpad('max', 8)}`);
  const stats = results.map((r) => {
    const c = ascending(r.creates);
    const d = ascending(r.deliveries);
    return { r, c: [0.5, 0.99, 1].map((q) => percentile(c, q)), d: [0.5, 0.99, 1].map((q) => percentile(d, q)) };
  });
  for (const { r, c, d } of stats) {
    log(`${pad(r.label, 34)}${lpad(String(r.creates.length), 8)}${c.map((v) => lpad(ms(v), 8)).join('')}${lpad(`${r.deliveries.length - r.missing}/${r.deliveries.length}`, 11)}${d.map((v) => lpad(ms(v), 8)).join('')}`);
  }
  for (const { r } of stats) {
    if (r.flood) {
      const f = r.flood;
      log(`${r.label}: calm statuses ${statusList(r.calmStatuses)}; flood statuses ${statusList(f.statuses)};`);
      log(`  at the silent receiver during the measured ${s.durationS} s: ${f.attempts} attempts started, at most ${f.mostOpen} open at once;`);
      log(`  at the end: flooding tree ${f.backlog.inFlight} in flight, ${f.backlog.parked} parked; ${f.backlog.jobs} delivery jobs of everyone`);
    }
  }
  const [base, ...rest] = stats;
  log('');
  for (const { r, c, d } of rest) {
    const createRatio = c[1]! / base!.c[1]!;
    const deliveryRatio = d[1]! / base!.d[1]!;
    const verdict = (x: number) => (x <= 2 ? 'PASS' : 'MISS');
    const reference = r.label.startsWith('reference');
    log(`ratio     ${r.label} / baseline p99: create ${createRatio.toFixed(2)}x, delivery ${Number.isFinite(deliveryRatio) ? deliveryRatio.toFixed(2) : '∞'}x` + (reference ? '   (reference, no target)' : `   target <= 2x: create ${verdict(createRatio)}, delivery ${verdict(deliveryRatio)}`));
  }
}

async function benchMain(): Promise<void> {
  const s = readSettings();
  const cpus = os.cpus();
  const [l1, l5] = os.loadavg();
  log('LevelChat bench: tenant isolation — one tenant floods webhooks at a receiver that never answers; another tenant\'s latencies (loopback only)');
  log(`machine   ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), loadavg ${l1!.toFixed(2)} ${l5!.toFixed(2)}, node ${process.version}; the cores are shared by`);
  log('          this driver (both tenants\' clients and receivers), the node process, redis-server, the S3 server and the mediasoup worker.');
  log('setting   receivers on 127.0.0.1: the node runs with LEVELCHAT_WEBHOOK_ALLOW_PRIVATE=true (development setting); default rate limits');
  log('          (100 req/s, burst 200 per key tree) and delivery settings (10 s attempt deadline; the slots per tenant as printed).');
  const receivers = (running.receivers = { calm: await startRecordingReceiver(), silent: await startSilentReceiver() });
  const calmKey = formatApiKey(generateApiKey());
  const floodKey = formatApiKey(generateApiKey());
  const floodTree = parseApiKey(floodKey)!.id;
  const results: PhaseResult[] = [];

  const runs = [{ unfair: false }, ...(s.reference ? [{ unfair: true }] : [])];
  for (const { unfair } of runs) {
    const { server, info } = await startServer(unfair, [calmKey, floodKey]);
    log('');
    log(`node      pid ${info.pid} at ${info.url}: ${info.concurrency} delivery slots, ${unfair ? 'no per-tenant limit (as before this row)' : `at most ${info.perTenant} in flight per key tree`}`);
    const { calm, flood } = await setUpTenants(info.url, calmKey, floodKey, receivers);
    if (!unfair) {
      log('phase     baseline: the calm tenant alone');
      results.push(await phase('baseline (calm tenant alone)', s, calm, receivers));
    }
    const label = unfair ? 'reference: flood, no tenant slots' : 'flood (this build)';
    log(`phase     ${label}`);
    results.push(await phase(label, s, calm, receivers, { keys: flood, server, tree: floodTree }));
    await server.stop(30_000);
    running.server = undefined;
  }
  printResults(results, s);
}

async function cleanup(): Promise<void> {
  await running.server?.stop(30_000);
  await running.receivers?.calm.close();
  await running.receivers?.silent.close();
  for (const dir of running.dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

function cleanupSync(): void {
  running.server?.kill();
  for (const dir of running.dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

await runBench({ main: benchMain, cleanup, cleanupSync, stopping: 'the node process and the receivers', graceMs: 40_000 });
