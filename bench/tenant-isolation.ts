// Bench: does a tenant that floods webhooks move another tenant's latencies? Issue 17, row 2.
//
//   npm run bench:tenant-isolation        (builds first)
//
// Two tenants (two config keys, so two key trees) on one LevelChat node on loopback. The calm one
// creates rooms at a steady pace and has one webhook for room.created at a receiver that answers at
// once. The flooding one has 100 webhooks (5 keys x 20, the cap per key) at a receiver that accepts
// connections and never answers, and creates rooms as fast as its rate limit lets it (every room:
// 20 deliveries that each hang for the whole 10 s attempt deadline).
//
// The machine is shared (2 cores here, with other people's work on them), so the kinds of window
// are measured in turns in the same run (alone, load, flood, alone, load, flood, ...; the first is
// before any flood), and each sees the same background:
//   alone: the calm tenant alone;
//   load:  a third tenant creates rooms at the flood's rate but has no webhooks (a control: what
//          that many REST requests cost the machine, webhooks aside);
//   flood: the flooding tenant at that rate, with its 100 hanging webhooks.
// The calm tenant's create and delivery p99 during the flood windows are compared with those of its
// alone windows (target: <= 2x), and with the load windows (the webhooks' own share). Then the same on a fresh node whose delivery has no per-tenant slots and 16
// shared ones, as before this row (BENCH_REFERENCE=1, the default): what the slots prevent. Each
// kind of window also reports the cores used by the node process, redis-server, this driver and
// everything else on the machine. Receivers are on 127.0.0.1, so the node runs with
// LEVELCHAT_WEBHOOK_ALLOW_PRIVATE=true (the development setting; production refuses such webhooks).
//
// On a shared machine the others' work (tests, browsers, builds) swamps tail latencies, so where it
// may the bench runs its own processes (this driver, the load process, the node process and its
// redis-server) under SCHED_RR priority 1 (see tenant-isolation/priority.ts; BENCH_REALTIME=0: not).
//
// Env: BENCH_REALTIME (1), BENCH_ROUNDS (4 rounds of windows), BENCH_WINDOW_S (5), BENCH_CALM_RPS (20 creates/s),
// BENCH_FLOOD_RPS (100 creates/s: the default rate limit of a key tree), BENCH_DRAIN_S (15: how
// long deliveries may still arrive after the last window), BENCH_REFERENCE (1; 0 skips the reference).
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
import { waitFor } from './lib/wait.js';
import { countCpu, type CpuShare } from './tenant-isolation/cpu-share.js';
import { choosePriority, raise } from './tenant-isolation/priority.js';
import type { FloodReply, FloodRequest } from './tenant-isolation/flooder.js';
import { apiCall, pacedCreates, type Api } from './tenant-isolation/load.js';
import { SERVER_ENV, type Backlog, type ServerInfo, type ServerRequest } from './tenant-isolation/protocol.js';
import { startRecordingReceiver, startSilentReceiver } from './tenant-isolation/receivers.js';

const readSettings = () => ({
  rounds: envNumber('BENCH_ROUNDS', 4),
  windowS: envNumber('BENCH_WINDOW_S', 5),
  calmRps: envNumber('BENCH_CALM_RPS', 20),
  floodRps: envNumber('BENCH_FLOOD_RPS', 100),
  drainS: envCount('BENCH_DRAIN_S', 15),
  reference: envCount('BENCH_REFERENCE', 1) !== 0,
});
type Settings = ReturnType<typeof readSettings>;

const FLOOD_KEYS = 5;
const HOOKS_PER_KEY = 20;

/** The calm tenant's figures over one kind of window of one run. */
interface WindowsResult {
  label: string;
  creates: number[];
  /** Delivery latency per created room; Infinity for a delivery that never came. */
  deliveries: number[];
  missing: number;
  statuses: Map<number, number>;
  /** Averaged over the windows. */
  cpu: CpuShare;
}

/** What the flooding tenant did and had during one run's flood windows. */
interface FloodResult {
  run: string;
  statuses: Map<number, number>;
  attempts: number;
  mostOpen: number;
  backlog: Backlog;
}

type Receivers = { calm: Awaited<ReturnType<typeof startRecordingReceiver>>; silent: Awaited<ReturnType<typeof startSilentReceiver>> };
const running: { server?: RpcChild<ServerRequest, ServerInfo>; flooder?: RpcChild<FloodRequest, { pid: number }>; dataDirs: string[]; receivers?: Receivers } = { dataDirs: [] };

/** The process that sends the flood and the control load (its own event loop, not the calm client's). */
async function startFlooder(): Promise<RpcChild<FloodRequest, { pid: number }>> {
  const child = fork(compiledEntry('bench/tenant-isolation/flooder'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const flooder = (running.flooder = new RpcChild<FloodRequest, { pid: number }>(child, 'flood process'));
  await flooder.ready;
  return flooder;
}

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

const addCounts = (into: Map<number, number>, from: Map<number, number>) => from.forEach((n, k) => into.set(k, (into.get(k) ?? 0) + n));
const meanCpu = (shares: CpuShare[]): CpuShare => {
  const avg = (f: (c: CpuShare) => number) => shares.reduce((a, c) => a + f(c), 0) / (shares.length || 1);
  return { server: avg((c) => c.server), redis: avg((c) => c.redis), driver: avg((c) => c.driver), load: avg((c) => c.load), others: avg((c) => c.others) };
};

/**
 * One run: `rounds` pairs of windows, the calm tenant alone and then with the flood, on the node
 * `info`; the calm tenant's figures per kind of window, and the flooding tenant's.
 */
async function interleaved(run: string, s: Settings, info: ServerInfo, server: RpcChild<ServerRequest, ServerInfo>, flooder: RpcChild<FloodRequest, { pid: number }>, tenants: { calm: Api; load: Api; flood: Api[]; floodTree: string }, receivers: Receivers) {
  const windows = () => ({ rooms: [] as string[], creates: [] as number[], statuses: new Map<number, number>(), cpu: [] as CpuShare[] });
  const kinds = { alone: windows(), load: windows(), flood: windows() };
  const flood = { statuses: new Map<number, number>(), attempts: 0, mostOpen: 0 };
  const tag = run.replace(/\W+/g, '-');
  for (let round = 1; round <= s.rounds; round += 1) {
    for (const kind of ['alone', 'load', 'flood'] as const) {
      receivers.silent.reset();
      const cpu = countCpu(info.pid, info.redisPid, flooder.pid);
      const other = kind === 'alone' ? undefined : { keys: kind === 'flood' ? tenants.flood : [tenants.load], prefix: `${kind}-${tag}-${round}`, rate: s.floodRps, durationS: s.windowS };
      const [calmRun, otherRun] = await Promise.all([
        pacedCreates([tenants.calm], `calm-${tag}-${round}-${kind}`, s.calmRps, s.windowS),
        other ? flooder.call<FloodReply>(other, (s.windowS + 60) * 1000) : undefined,
      ]);
      const floodRun = kind === 'flood' ? otherRun : undefined;
      const k = kinds[kind];
      k.cpu.push(cpu());
      k.rooms.push(...calmRun.rooms);
      k.creates.push(...calmRun.createdMs);
      addCounts(k.statuses, calmRun.statuses);
      if (floodRun) {
        addCounts(flood.statuses, new Map(floodRun.statuses));
        flood.attempts += receivers.silent.attempts();
        flood.mostOpen = Math.max(flood.mostOpen, receivers.silent.mostOpen());
      }
      log(`  round ${round} ${kind.padEnd(5)}: calm ${calmRun.rooms.length} rooms created${otherRun ? `, ${kind} ${otherRun.created} rooms created${floodRun ? ` (${floodRun.created * HOOKS_PER_KEY} hanging deliveries)` : ''}` : ''}`);
    }
  }
  const backlog = await server.call<Backlog>({ type: 'backlog', tree: tenants.floodTree });
  const all = [...kinds.alone.rooms, ...kinds.load.rooms, ...kinds.flood.rooms];
  const arrived = (rooms: string[]) => rooms.filter((r) => receivers.calm.latencyByRoom.has(r)).length;
  await waitFor(() => arrived(all) === all.length, { timeoutMs: s.drainS * 1000, what: 'deliveries' }).catch(() => {});
  const result = (kind: keyof typeof kinds, label: string): WindowsResult => {
    const k = kinds[kind];
    return {
      label,
      creates: k.creates,
      deliveries: k.rooms.map((r) => receivers.calm.latencyByRoom.get(r) ?? Number.POSITIVE_INFINITY),
      missing: k.rooms.length - arrived(k.rooms),
      statuses: k.statuses,
      cpu: meanCpu(k.cpu),
    };
  };
  return { alone: result('alone', `${run}: calm alone`), load: result('load', `${run}: during load (no hooks)`), flooded: result('flood', `${run}: during flood`), flood: { run, ...flood, backlog } satisfies FloodResult };
}

const statusList = (m: Map<number, number>) => [...m].sort(([a], [b]) => a - b).map(([status, n]) => `${status === 0 ? 'error' : status}: ${n}`).join(', ');
const ms = (v: number) => (Number.isFinite(v) ? latencyMs(v) : 'never');

function printResults(runs: { alone: WindowsResult; load: WindowsResult; flooded: WindowsResult; flood: FloodResult }[], s: Settings): void {
  const W = 40;
  log('');
  log(`RESULTS   the calm tenant (${s.calmRps} creates/s), ${s.rounds} windows of ${s.windowS} s of each kind per run, alternating; latencies in ms: creates from the moment`);
  log('          each request left, deliveries from the event\'s created_at to its arrival ("never": not within the drain time; counted in the percentiles)');
  log(`${pad('run: windows', W + 12)}${lpad('creates', 8)}${lpad('p50', 8)}${lpad('p99', 8)}${lpad('max', 8)}${lpad('delivered', 11)}${lpad('p50', 8)}${lpad('p99', 8)}${lpad('max', 8)}`);
  const p99 = (r: WindowsResult) => {
    const c = ascending(r.creates);
    const d = ascending(r.deliveries);
    return { c: [0.5, 0.99, 1].map((q) => percentile(c, q)), d: [0.5, 0.99, 1].map((q) => percentile(d, q)) };
  };
  for (const run of runs) {
    for (const r of [run.alone, run.load, run.flooded]) {
      const { c, d } = p99(r);
      log(`${pad(r.label, W + 12)}${lpad(String(r.creates.length), 8)}${c.map((v) => lpad(ms(v), 8)).join('')}${lpad(`${r.deliveries.length - r.missing}/${r.deliveries.length}`, 11)}${d.map((v) => lpad(ms(v), 8)).join('')}`);
    }
  }
  log('');
  log('cores used, average over the windows (node process / redis-server / calm client / load process / others on the machine):');
  for (const run of runs) for (const r of [run.alone, run.load, run.flooded]) log(`  ${pad(r.label, W + 12)}${[r.cpu.server, r.cpu.redis, r.cpu.driver, r.cpu.load, r.cpu.others].map((c) => c.toFixed(2)).join(' / ')}`);
  log('');
  for (const { flood: f } of runs) {
    log(`${f.run}: the flooding tenant in its windows: ${statusList(f.statuses)}; at its receiver ${f.attempts} attempts started, at most ${f.mostOpen} open at once;`);
    log(`  after the last window: its tree ${f.backlog.inFlight} queued or in flight, ${f.backlog.parked} parked; ${f.backlog.jobs} delivery jobs of everyone in BullMQ`);
  }
  log('');
  runs.forEach((run, i) => {
    const [alone, load, flooded] = [p99(run.alone), p99(run.load), p99(run.flooded)];
    const verdict = (x: number) => (x <= 2 ? 'PASS' : 'MISS');
    const ratio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : '∞ (never delivered)');
    const [c, d] = [flooded.c[1]! / alone.c[1]!, flooded.d[1]! / alone.d[1]!];
    log(`ratio     ${pad(run.flood.run, 28)} p99 during flood / calm alone: create ${ratio(c)}, delivery ${ratio(d)}` + (i === 0 ? `   target <= 2x: create ${verdict(c)}, delivery ${verdict(d)}` : '   (reference, no target)'));
    log(`          ${pad('', 28)} p99 during flood / during load: create ${ratio(flooded.c[1]! / load.c[1]!)}, delivery ${ratio(flooded.d[1]! / load.d[1]!)}   (the hanging webhooks' own share)`);
  });
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
  const priority = choosePriority();
  log(`priority  ${priority === 'realtime' ? "this driver, the load process, the node process and its redis-server under SCHED_RR 1 (chrt -r 1), ahead of the machine's other work" : 'normal (chrt not permitted, or BENCH_REALTIME=0): expect the machine\'s other work in the tails'}`);
  raise(process.pid, priority);
  const flooder = await startFlooder();
  raise(flooder.pid, priority);
  const receivers = (running.receivers = { calm: await startRecordingReceiver(), silent: await startSilentReceiver() });
  const calmKey = formatApiKey(generateApiKey());
  const floodKey = formatApiKey(generateApiKey());
  const loadKey = formatApiKey(generateApiKey());
  const floodTree = parseApiKey(floodKey)!.id;
  const runs = [];
  for (const { unfair } of [{ unfair: false }, ...(s.reference ? [{ unfair: true }] : [])]) {
    const { server, info } = await startServer(unfair, [calmKey, floodKey, loadKey]);
    for (const pid of [info.pid, info.redisPid]) raise(pid, priority);
    log('');
    log(`node      pid ${info.pid} at ${info.url}: ${info.concurrency} delivery slots, ${unfair ? 'no per-tenant limit (as before this row)' : `at most ${info.perTenant} deliveries queued or in flight per key tree`}`);
    const { calm, flood } = await setUpTenants(info.url, calmKey, floodKey, receivers);
    const run = unfair ? 'reference (no tenant slots)' : 'this build';
    log(`run       ${run}: flood windows: ${s.floodRps} creates/s over ${FLOOD_KEYS} keys (${FLOOD_KEYS * HOOKS_PER_KEY} webhooks that never answer)`);
    runs.push(await interleaved(run, s, info, server, flooder, { calm, load: { url: info.url, key: loadKey }, flood, floodTree }, receivers));
    await server.stop(30_000);
    running.server = undefined;
  }
  printResults(runs, s);
}

async function cleanup(): Promise<void> {
  await running.server?.stop(30_000);
  await running.flooder?.stop(5000);
  await running.receivers?.calm.close();
  await running.receivers?.silent.close();
  for (const dir of running.dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

function cleanupSync(): void {
  running.server?.kill();
  running.flooder?.kill();
  for (const dir of running.dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

await runBench({ main: benchMain, cleanup, cleanupSync, stopping: 'the node process and the receivers', graceMs: 40_000 });
