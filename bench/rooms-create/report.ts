// The rooms-create bench's result tables: one row per measured phase (latency, and the CPU each
// process spent per response), and the LevelChat / baseline ratio lines under them.
import os from 'node:os';
import { latencyMs, pct } from '../lib/format.js';
import { log } from '../lib/log.js';
import type { LoadResult } from './measure.js';

/** CPU (in cores) used during the phase by everything but the server process, redis-server and this load generator. */
function othersCores(r: LoadResult): number | undefined {
  if (r.redisCpuMs === undefined) return undefined;
  const ours = (r.server.cpuUserUs + r.server.cpuSystemUs) / 1000 + r.redisCpuMs + r.loadGenCpuMs;
  return Math.max(0, r.machineBusy * os.cpus().length - ours / 1000 / r.wallS);
}

export function printTable(rows: LoadResult[]): void {
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
        [l.p50, l.p90, l.p99, l.p999, l.max].map((v) => ` ${latencyMs(v).padStart(8)}`).join('') +
        ` | ${srvUs.toFixed(0).padStart(6)} ${(redisUs === undefined ? 'n/a' : redisUs.toFixed(0)).padStart(10)} ${genUs.toFixed(0).padStart(12)}    ` +
        `| ${pct(r.server.elu, 0).padStart(6)}` +
        ` ${String(r.server.gc.count).padStart(5)} ${r.server.gc.totalMs.toFixed(0).padStart(6)} ${latencyMs(r.server.gc.maxMs).padStart(6)} ` +
        `| ${pct(r.machineBusy, 0).padStart(6)}` +
        ` ${(othersCores(r)?.toFixed(2) ?? 'n/a').padStart(7)}`,
    );
  }
  // Every request is meant to create a room: anything but 201 (even a 200, "already existed") is worth a line.
  for (const r of rows) {
    const odd = Object.keys(r.statusCodes).filter((code) => code !== '201');
    if (odd.length || r.errors) log(`  ${r.label}: status codes ${JSON.stringify(r.statusCodes)}, connection errors ${r.errors}`);
  }
}

/** "LevelChat / baseline" latency ratios of two rows, as printed. */
export function ratioLine(what: string, lc: LoadResult, base: LoadResult): string {
  return `ratio     LevelChat / ${what}:  p50 ${(lc.latency.p50 / base.latency.p50).toFixed(2)}×   p99 ${(lc.latency.p99 / base.latency.p99).toFixed(2)}×`;
}
