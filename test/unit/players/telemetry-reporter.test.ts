import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TelemetryReporter, telemetryUrl, type PlaybackSample } from '../../../players/shared/telemetry.js';

// The players' latency reporter (players/shared/telemetry.ts, bundled into @levelchat/web and the
// hls.js player) against a stubbed fetch and fake timers: what it sends, when, and what it does with
// the node's answers.
interface Sent {
  url: string;
  auth: string;
  body: { session: string; delivery: string; latency_s: number | null; rebuffers: number };
}

let sent: Sent[];
let answer: () => Response;

beforeEach(() => {
  vi.useFakeTimers();
  sent = [];
  answer = () => new Response(null, { status: 204 });
  vi.stubGlobal('fetch', async (url: string, init: { headers: Record<string, string>; body: string }) => {
    sent.push({ url, auth: init.headers['Authorization']!, body: JSON.parse(init.body) });
    return answer();
  });
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

function reporter(sample: () => PlaybackSample | null, token: () => string | null = () => 'tok') {
  const onReport = vi.fn();
  const r = new TelemetryReporter({ url: telemetryUrl('https://node.example/hls/r_x/master.m3u8', 'r_x'), token, delivery: 'llhls', sample, onReport });
  return { r, onReport };
}

describe('TelemetryReporter', () => {
  it('reports every 5 s while playing: latency rounded to ms and clamped at 0, stalls as differences, one session id', async () => {
    const samples: (PlaybackSample | null)[] = [null, { latencyS: 1.23456, rebuffers: 0 }, { latencyS: -0.02, rebuffers: 2 }, { latencyS: 2, rebuffers: 3 }];
    const { r, onReport } = reporter(() => samples.shift() ?? null);
    await vi.advanceTimersByTimeAsync(4999);
    expect(sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1); // not playing yet: nothing sent
    expect(sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(sent.map((s) => s.body)).toEqual([
      { session: r.session, delivery: 'llhls', latency_s: 1.235, rebuffers: 0 },
      { session: r.session, delivery: 'llhls', latency_s: 0, rebuffers: 2 },
      { session: r.session, delivery: 'llhls', latency_s: 2, rebuffers: 1 },
    ]);
    expect(sent[0]!.url).toBe('https://node.example/v1/rooms/r_x/telemetry');
    expect(sent[0]!.auth).toBe('Bearer tok');
    expect(r.session).toMatch(/^[0-9a-f]{24}$/);
    expect(onReport).toHaveBeenCalledTimes(3);
    r.stop();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(sent).toHaveLength(3);
  });

  it('sends nothing without a token, waits as long as a 429 says, and counts stalls again after a refused report', async () => {
    let token: string | null = null;
    let stalls = 0;
    const { r } = reporter(() => ({ latencyS: 1, rebuffers: ++stalls }), () => token);
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toHaveLength(0);
    token = 'tok';
    answer = () => new Response(null, { status: 429, headers: { 'retry-after': '12' } });
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toHaveLength(1);
    answer = () => new Response(null, { status: 204 });
    await vi.advanceTimersByTimeAsync(11_000);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toHaveLength(2);
    // The refused report's stall was not counted as sent: the next one carries it and the new one
    // (no token, no sample: the first tick read nothing).
    expect(sent[0]!.body.rebuffers).toBe(1);
    expect(sent[1]!.body.rebuffers).toBe(2);
    r.stop();
  });

  it('keeps going when the node cannot be reached', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('network down');
    });
    const { r } = reporter(() => ({ latencyS: 1, rebuffers: 0 }));
    await vi.advanceTimersByTimeAsync(10_000);
    let calls = 0;
    vi.stubGlobal('fetch', async () => {
      calls++;
      return new Response(null, { status: 204 });
    });
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toBe(1);
    r.stop();
  });
});
