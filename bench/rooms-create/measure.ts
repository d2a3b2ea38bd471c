// One measured phase of the rooms-create bench: a Driver's load against one side, with what it cost
// the server process (asked over IPC), redis-server, this load generator and the machine meanwhile.
import { performance } from 'node:perf_hooks';
import { latencyMs } from '../lib/format.js';
import { log } from '../lib/log.js';
import { cpuDelta, machineCpu, processCpuMs } from '../lib/procfs.js';
import { ascending, percentile } from '../lib/stats.js';
import type { Driver, LatencySummary } from './load.js';
import type { PhaseStats, ServerProcess } from './protocol.js';

export interface LoadResult {
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
  /** Busy fraction of all CPUs together. */
  machineBusy: number;
  /** Wall time of the measured phase, s. */
  wallS: number;
}

function summarize(latencies: number[]): LatencySummary {
  const sorted = ascending(latencies);
  const at = (q: number) => percentile(sorted, q);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: at(1) };
}

/**
 * Runs `drive` as one measured phase of `label`. With `progressOfS`, prints a line per autocannon
 * tick (its second): rate, longest silence and that second's percentiles. With `profile`, the server
 * CPU-profiles itself into that file meanwhile.
 */
export async function measuredLoad(
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
  const redisCpu0 = redisPid ? processCpuMs(redisPid) : undefined;
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
        const w = ascending(window);
        const gap = n > 0 ? `${windowGap.toFixed(0)} ms` : '-';
        log(
          `  [${label}] ${(ticks > options.progressOfS ? 'tail' : `${String(ticks).padStart(2)}/${options.progressOfS} s`).padEnd(7)} ${String(n).padStart(5)} resp/s, longest silence ${gap.padStart(6)}` +
            `  p50 ${latencyMs(percentile(w, 0.5)).padStart(6)}  p99 ${latencyMs(percentile(w, 0.99)).padStart(6)}  max ${latencyMs(percentile(w, 1)).padStart(6)} ms` +
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
  const redisCpuMs = redisPid && redisCpu0 !== undefined ? processCpuMs(redisPid) - redisCpu0 : undefined;
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
    redisCpuMs,
    loadGenCpuMs: (genCpu.user + genCpu.system) / 1000 + (outcome.externalCpuMs ?? 0),
    // Line 0 of /proc/stat is all CPUs together.
    machineBusy: cpuDelta(machine0, machine1)[0]!.busy,
    wallS,
  };
}
