// The ways the rooms-create bench drives POST /v1/rooms: the C pacer (the main phase) and autocannon
// (warm-up and the supplementary runs), behind one Driver interface so a phase is measured the same
// way whichever drives it.
import autocannon from 'autocannon';
import type { HttpPacer } from '../lib/http-pacer.js';
import { log } from '../lib/log.js';

/** Exact percentiles (nearest rank) of every 2xx response's latency, ms. */
export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

const ROOM_CONFIG = { max_participants: 50, preferred_codec: 'av1', record: { enabled: false }, e2ee: false, region_hint: 'eu-fsn' };

// The guide's body with a new external_id per request, so every request creates a room.
let externalSeq = 0;
const runTag = Date.now().toString(36);
export const roomBody = (externalId = `bench-${runTag}-${++externalSeq}`) => JSON.stringify({ external_id: externalId, type: 'meeting', config: ROOM_CONFIG });

export interface LoadOptions {
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
export interface DriveOutcome {
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

export type Driver = (onResponse: (status: number, ms: number) => void, onTick: () => void) => Promise<DriveOutcome>;

/** autocannon, as asked: `overallRate` over `connections` (each connection gets rate/connections per second). */
export function autocannonDriver(o: LoadOptions): Driver {
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
export function pacerDriver(pacer: HttpPacer, o: LoadOptions & { rate: number; durationS: number }): Driver {
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
