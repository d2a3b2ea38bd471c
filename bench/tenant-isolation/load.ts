// The two tenants' REST traffic: evenly paced room creates (open loop: request i leaves at
// t0 + i/rate whatever the answers, so a slow server shows up as latency, not as fewer requests).
import { performance } from 'node:perf_hooks';
import { sleep } from '../lib/wait.js';

export interface Api {
  url: string;
  key: string;
}

export async function apiCall(api: Api, method: string, path: string, json?: unknown): Promise<Response> {
  return fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${api.key}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
}

export interface PacedResult {
  /** Latency of each 201, ms from the moment the request left. */
  createdMs: number[];
  /** Room ids that were created (their room.created event is expected). */
  rooms: string[];
  statuses: Map<number, number>;
}

/**
 * Creates `rate` rooms per second for `durationS` (or until `stop()` resolves), each with a new
 * external id `<prefix>-<i>`, from `keys` in turn.
 */
export async function pacedCreates(keys: Api[], prefix: string, rate: number, durationS: number, stop?: Promise<void>): Promise<PacedResult> {
  const result: PacedResult = { createdMs: [], rooms: [], statuses: new Map() };
  let stopped = false;
  void stop?.then(() => (stopped = true));
  const t0 = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < rate * durationS && !stopped; i += 1) {
    await sleep(t0 + (i * 1000) / rate - performance.now());
    const id = `${prefix}-${i}`;
    inFlight.push(
      (async () => {
        const sent = performance.now();
        const res = await apiCall(keys[i % keys.length]!, 'POST', '/v1/rooms', { external_id: id, type: 'meeting' }).catch(() => undefined);
        await res?.arrayBuffer();
        const status = res?.status ?? 0;
        result.statuses.set(status, (result.statuses.get(status) ?? 0) + 1);
        if (status === 201) {
          result.createdMs.push(performance.now() - sent);
          result.rooms.push(`r_${id}`);
        }
      })(),
    );
  }
  await Promise.all(inFlight);
  return result;
}
