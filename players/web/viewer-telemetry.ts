// A WebRTC session's latency reports: while it receives video, every 5 s, how late the slowest
// picture plays (playout-latency.ts: what is measured, and how well) and the freezes, to POST /v1/rooms/{id}/telemetry with the
// session's room token. LL-HLS playback is reported by the player itself (players/player).
import { TelemetryReporter, telemetryUrl, type TelemetryOptions } from '../shared/telemetry.js';
import { PlayoutSampler, type StatsSource } from './playout-latency.js';
import type { SubscribedTrack, UnsubscribedTrack } from './room-data.js';

/** Where the session's received tracks come and go (its `track-subscribed` / `track-unsubscribed`); returns an unsubscribe. */
type TrackWatch = (added: (t: SubscribedTrack) => void, removed: (t: UnsubscribedTrack) => void) => () => void;

export interface WebRtcTelemetryOptions {
  watchTracks: TrackWatch;
  /** A URL of the node (its signaling URL): the report goes to the same node. */
  nodeUrl: () => string;
  roomId: string;
  token: () => string | null;
  onReport?: TelemetryOptions['onReport'];
}

/** Starts reporting; the returned function stops it. */
export function reportWebRtcPlayout(options: WebRtcTelemetryOptions): () => void {
  const videos = new Map<string, StatsSource>();
  const unwatch = options.watchTracks(
    (t) => {
      if (t.kind === 'video') videos.set(t.producerId, () => t.getStats());
    },
    (t) => videos.delete(t.producerId),
  );
  const httpUrl = () => options.nodeUrl().replace(/^ws/, 'http');
  const sampler = new PlayoutSampler();
  const reporter = new TelemetryReporter({
    get url() {
      return telemetryUrl(httpUrl(), options.roomId);
    },
    token: options.token,
    delivery: 'webrtc',
    sample: () => (videos.size ? sampler.sample([...videos.values()]) : null),
    ...(options.onReport ? { onReport: options.onReport } : {}),
  });
  return () => {
    reporter.stop();
    unwatch();
  };
}
