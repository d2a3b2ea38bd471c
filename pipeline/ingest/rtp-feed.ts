import type { types } from 'mediasoup';
import { z } from 'zod';
import { objectOutline } from '../../common/json-payload.js';

// Schemas because a feed may be opened from another node: the request and its streams cross the cluster bus.

/** Where ffmpeg waits for a broadcast's RTP: one port per stream (RTCP on port + 1). */
export const feedRequestSchema = z.object({
  videoProducerId: z.string(),
  audioProducerId: z.string().optional(),
  /** The address ffmpeg listens on, as the node holding the producers reaches it. */
  ip: z.string(),
  videoPort: z.number(),
  audioPort: z.number().optional(),
});
export type FeedRequest = z.infer<typeof feedRequestSchema>;

/** One stream of a feed: what the SDP tells ffmpeg about it. */
export const feedStreamSchema = z.object({
  kind: z.enum(['audio', 'video']),
  rtpParameters: objectOutline<types.RtpParameters>('RTP parameters'),
});
export type FeedStream = z.infer<typeof feedStreamSchema>;

/**
 * A broadcast's producers sent as plain RTP to ffmpeg's ports, paused until `resume()`. It lives
 * where the producers are (the room's origin router), which may be another node than the ffmpeg.
 */
export interface RtpFeed {
  readonly video: FeedStream;
  readonly audio: FeedStream | undefined;
  /** The address the RTP comes from, when it is known: ffmpeg accepts packets from it only. */
  readonly sourceIp?: string;
  /** Lets both streams flow together (arrival order keeps them in sync). */
  resume(): Promise<void>;
  requestKeyFrame(): Promise<void>;
  /** `listener` runs once if a producer goes away (or its node does): nothing more will arrive. */
  onClosed(listener: () => void): void;
  close(): void;
}

/** Opens feeds of the producers of one router. */
export interface RtpFeedSource {
  open(request: FeedRequest): Promise<RtpFeed>;
}
