// How late a WebRTC viewer plays, from the receivers' stats. Chromium's `inbound-rtp` stats carry
// `estimatedPlayoutTimestamp`: the playout time of the frame being shown, on the sender's clock (NTP
// ms), which the browser knows from the RTP timestamps and the RTCP sender reports mapping them to
// that clock. mediasoup writes the sender reports of what it forwards (stamped when it forwards), so
// `now - estimatedPlayoutTimestamp` is the time from the SFU to the screen: the viewer's network,
// jitter buffer and decode. The publisher's capture, encode and uplink are not in it, and the node's
// and the viewer's clocks must agree (NTP: a few ms). Browsers without it get a lower bound: the
// jitter buffer's average delay plus half the round trip.
import type { PlaybackSample } from '../shared/telemetry.js';

/** Milliseconds between the NTP epoch (1900) and the Unix epoch (1970). */
const NTP_TO_UNIX_MS = 2_208_988_800_000;

/** A received track's stats (a consumer's `getStats()`). */
export type StatsSource = () => Promise<RTCStatsReport>;

interface InboundRtp {
  type: string;
  kind?: string;
  estimatedPlayoutTimestamp?: number;
  jitterBufferDelay?: number;
  jitterBufferEmittedCount?: number;
  freezeCount?: number;
  framesDecoded?: number;
}

interface CandidatePair {
  type: string;
  nominated?: boolean;
  state?: string;
  currentRoundTripTime?: number;
}

/**
 * The latency of the most delayed video being received (a viewer waits for the slowest picture)
 * and the freezes so far; null when no video is received or nothing has been decoded yet.
 */
export async function sampleWebRtcPlayout(sources: readonly StatsSource[], nowMs = Date.now()): Promise<PlaybackSample | null> {
  let latency: number | null = null;
  let freezes = 0;
  let decoding = false;
  for (const source of sources) {
    const report = await source().catch(() => null);
    if (!report) continue;
    let rtt: number | null = null;
    let fallback: number | null = null;
    let measured: number | null = null;
    for (const stat of report.values() as IterableIterator<InboundRtp & CandidatePair>) {
      if (stat.type === 'candidate-pair' && stat.nominated && typeof stat.currentRoundTripTime === 'number') rtt = stat.currentRoundTripTime;
      if (stat.type !== 'inbound-rtp' || stat.kind !== 'video') continue;
      if ((stat.framesDecoded ?? 0) > 0) decoding = true;
      freezes += stat.freezeCount ?? 0;
      if (typeof stat.estimatedPlayoutTimestamp === 'number' && stat.estimatedPlayoutTimestamp > 0) {
        measured = (nowMs - (stat.estimatedPlayoutTimestamp - NTP_TO_UNIX_MS)) / 1000;
      } else if (stat.jitterBufferEmittedCount) {
        fallback = (stat.jitterBufferDelay ?? 0) / stat.jitterBufferEmittedCount;
      }
    }
    const value = measured ?? (fallback === null ? null : fallback + (rtt ?? 0) / 2);
    if (value !== null) latency = latency === null ? value : Math.max(latency, value);
  }
  return decoding ? { latencyS: latency, rebuffers: freezes } : null;
}
