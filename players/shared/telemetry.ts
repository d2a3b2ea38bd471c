// What a viewer's player tells its LevelChat node every few seconds: how late it plays and how often it
// stalled (POST /v1/rooms/{id}/telemetry, authorised by the viewer's own room or playback token). The
// node turns the reports into levelchat_viewer_latency_seconds and the room's p50/p95 in GET /v1/rooms/{id}.

export type Delivery = 'webrtc' | 'llhls';

/** One reading of the player. `rebuffers` counts every stall since playback started (the reporter sends differences). */
export interface PlaybackSample {
  latencyS: number | null;
  rebuffers: number;
}

export interface TelemetryOptions {
  /** `https://node/v1/rooms/{id}/telemetry`. */
  url: string;
  /** The viewer's token now (a refreshed room token replaces the old one); null: nothing to report with. */
  token: () => string | null;
  delivery: Delivery;
  /** null while not playing: nothing is sent. */
  sample: () => Promise<PlaybackSample | null> | PlaybackSample | null;
  /** Default 5000; the node takes one report per 2 s per session. */
  intervalMs?: number;
  /** Each report sent (the demo console charts them). */
  onReport?: (report: { latencyS: number | null; rebuffers: number; delivery: Delivery }) => void;
}

export const TELEMETRY_INTERVAL_MS = 5000;

/** Reports a playback every `intervalMs` until stopped. Failures are dropped: telemetry never disturbs playback. */
export class TelemetryReporter {
  readonly session = randomSessionId();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #stopped = false;
  #sentRebuffers = 0;

  constructor(private readonly options: TelemetryOptions) {
    this.#schedule(options.intervalMs ?? TELEMETRY_INTERVAL_MS);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick(), ms);
  }

  async #tick(): Promise<void> {
    const interval = this.options.intervalMs ?? TELEMETRY_INTERVAL_MS;
    let next = interval;
    try {
      next = await this.#report(interval);
    } catch {
      // A failed read or an unreachable node: try again next time.
    }
    this.#schedule(next);
  }

  /** Sends one report; resolves the pause before the next (longer when the node asks for it). */
  async #report(interval: number): Promise<number> {
    const token = this.options.token();
    const sample = token ? await this.options.sample() : null;
    if (!token || !sample || this.#stopped) return interval;
    const rebuffers = Math.min(100, Math.max(0, sample.rebuffers - this.#sentRebuffers));
    // A clock behind the node's reads as negative latency: sent as 0 (the report is still a viewer).
    const latencyS = sample.latencyS === null || !Number.isFinite(sample.latencyS) ? null : Math.min(600, Math.max(0, Math.round(sample.latencyS * 1000) / 1000));
    const res = await fetch(this.options.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ session: this.session, delivery: this.options.delivery, latency_s: latencyS, rebuffers }),
      keepalive: true,
    });
    if (res.status === 204) {
      this.#sentRebuffers += rebuffers;
      this.options.onReport?.({ latencyS, rebuffers, delivery: this.options.delivery });
      return interval;
    }
    if (res.status === 429) return Math.max(interval, Number(res.headers.get('retry-after') ?? 1) * 1000);
    // 401/403: the token is no good for this room (expired, revoked): a refreshed one is tried next time.
    return interval;
  }
}

/** The telemetry URL of a room on the node that serves `nodeUrl` (its LL-HLS playlist or any URL on it). */
export function telemetryUrl(nodeUrl: string, roomId: string): string {
  return new URL(`/v1/rooms/${encodeURIComponent(roomId)}/telemetry`, nodeUrl).toString();
}

function randomSessionId(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
