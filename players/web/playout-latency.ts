// How late a WebRTC viewer plays, from the receivers' stats. Where the browser gives
// `estimatedPlayoutTimestamp` (inbound-rtp: the playout time of the frame shown, on the sender's
// clock through the RTCP sender reports; the SFU's clock here, since mediasoup writes its own sender
// reports) the latency is `now - estimatedPlayoutTimestamp`, accurate to the clock difference between
// node and viewer. Chromium does not expose it (nor `captureTimestamp`, which needs the
// abs-capture-time extension), so there the SDK adds up what it measures of the path from the SFU to
// the screen over the last interval: half the round trip (the network, taken as symmetric), the jitter
// buffer's delay and the decode time per frame. Not in either: the publisher's capture, encode and
// uplink to the SFU (tens of ms on a good network).
import type { PlaybackSample } from '../shared/telemetry.js';

/** Milliseconds between the NTP epoch (1900) and the Unix epoch (1970). */
const NTP_TO_UNIX_MS = 2_208_988_800_000;

/** A received track's stats (a consumer's `getStats()`). */
export type StatsSource = () => Promise<RTCStatsReport>;

interface Stat {
  type: string;
  id: string;
  kind?: string;
  estimatedPlayoutTimestamp?: number;
  jitterBufferDelay?: number;
  jitterBufferEmittedCount?: number;
  totalDecodeTime?: number;
  framesDecoded?: number;
  freezeCount?: number;
  nominated?: boolean;
  currentRoundTripTime?: number;
}

/** Counters of one inbound video stream at the previous sample: the next one uses the difference. */
interface Counters {
  jitterBufferDelay: number;
  jitterBufferEmittedCount: number;
  totalDecodeTime: number;
  framesDecoded: number;
}

/** Samples the received videos of a session, one interval after another. */
export class PlayoutSampler {
  readonly #previous = new Map<string, Counters>();

  /**
   * The latency of the most delayed video being received (a viewer waits for the slowest picture)
   * and the freezes so far; null when no video is received or nothing has been decoded yet.
   */
  async sample(sources: readonly StatsSource[], nowMs = Date.now()): Promise<PlaybackSample | null> {
    let latency: number | null = null;
    let freezes = 0;
    let decoding = false;
    const seen = new Set<string>();
    let everySourceAnswered = true;
    for (const source of sources) {
      const report = await source().catch(() => null);
      if (!report) {
        everySourceAnswered = false;
        continue;
      }
      const stats = [...(report.values() as IterableIterator<Stat>)];
      const rttS = stats.find((s) => s.type === 'candidate-pair' && s.nominated && typeof s.currentRoundTripTime === 'number')?.currentRoundTripTime ?? 0;
      for (const s of stats) {
        if (s.type !== 'inbound-rtp' || s.kind !== 'video') continue;
        seen.add(s.id);
        if ((s.framesDecoded ?? 0) > 0) decoding = true;
        freezes += s.freezeCount ?? 0;
        const value = this.#latency(s, rttS, nowMs);
        if (value !== null) latency = latency === null ? value : Math.max(latency, value);
      }
    }
    // Forget the videos that are gone (a long session sees many come and go); a source that did not
    // answer says nothing about which of its videos ended.
    if (everySourceAnswered) for (const id of this.#previous.keys()) if (!seen.has(id)) this.#previous.delete(id);
    return decoding ? { latencyS: latency, rebuffers: freezes } : null;
  }

  #latency(s: Stat, rttS: number, nowMs: number): number | null {
    if (typeof s.estimatedPlayoutTimestamp === 'number' && s.estimatedPlayoutTimestamp > 0) return (nowMs - (s.estimatedPlayoutTimestamp - NTP_TO_UNIX_MS)) / 1000;
    const now: Counters = {
      jitterBufferDelay: s.jitterBufferDelay ?? 0,
      jitterBufferEmittedCount: s.jitterBufferEmittedCount ?? 0,
      totalDecodeTime: s.totalDecodeTime ?? 0,
      framesDecoded: s.framesDecoded ?? 0,
    };
    const before = this.#previous.get(s.id);
    this.#previous.set(s.id, now);
    // Over the last interval when there is one with frames in it, else since the stream began.
    const base = before && now.jitterBufferEmittedCount > before.jitterBufferEmittedCount && now.framesDecoded > before.framesDecoded ? before : null;
    const emitted = now.jitterBufferEmittedCount - (base?.jitterBufferEmittedCount ?? 0);
    const decoded = now.framesDecoded - (base?.framesDecoded ?? 0);
    if (emitted <= 0 || decoded <= 0) return null;
    const jitterBuffer = (now.jitterBufferDelay - (base?.jitterBufferDelay ?? 0)) / emitted;
    const decode = (now.totalDecodeTime - (base?.totalDecodeTime ?? 0)) / decoded;
    return rttS / 2 + jitterBuffer + decode;
  }
}
