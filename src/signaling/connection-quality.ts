import type { Participant } from './participant.js';
import type { ServerEvents } from './protocol.js';

export type ConnectionQuality = ServerEvents['connection-quality']['qualities'][number];

/** Enough RTCP to judge a connection, without asking a worker about every track of a busy participant. */
const SAMPLED_STREAMS = 6;

/** What mediasoup's getStats() entries may carry; fields missing on an entry are skipped. */
interface RtcpStats {
  roundTripTime?: number;
  fractionLost?: number;
}

/** A participant's rtt (mean) and loss (worst), from the RTCP of its consumers (downlink) and producers (uplink). */
export async function connectionQuality(p: Participant): Promise<ConnectionQuality> {
  const rtts: number[] = [];
  const losses: number[] = [];
  const streams = [...[...p.media.consumers.values()].map((c) => c.consumer), ...[...p.media.producers.values()].map((x) => x.producer)].slice(0, SAMPLED_STREAMS);
  for (const stream of streams) {
    const stats: RtcpStats[] = await stream.getStats().catch(() => []);
    for (const s of stats) {
      if (typeof s.roundTripTime === 'number' && s.roundTripTime > 0) rtts.push(s.roundTripTime);
      // RTCP carries the lost fraction in 1/256ths.
      if (typeof s.fractionLost === 'number') losses.push(s.fractionLost / 256);
    }
  }
  return { participant_id: p.id, rtt: mean(rtts), fraction_lost: losses.length ? Math.max(...losses) : null };
}

/** The mean to 3 decimals, or null for no samples. */
export function mean(xs: number[]): number | null {
  return xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 1000) / 1000 : null;
}
