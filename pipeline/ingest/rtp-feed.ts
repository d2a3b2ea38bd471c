import type { types } from 'mediasoup';

/** Where ffmpeg waits for a broadcast's RTP: one port per stream (RTCP on port + 1). */
export interface FeedRequest {
  videoProducerId: string;
  audioProducerId?: string;
  /** The address ffmpeg listens on, as the node holding the producers reaches it. */
  ip: string;
  videoPort: number;
  audioPort?: number;
}

/** One stream of a feed: what the SDP tells ffmpeg about it. */
export interface FeedStream {
  kind: types.MediaKind;
  rtpParameters: types.RtpParameters;
}

/**
 * A broadcast's producers sent as plain RTP to ffmpeg's ports, paused until `resume()`. It lives
 * where the producers are (the room's origin router), which may be another node than the ffmpeg.
 */
export interface RtpFeed {
  readonly video: FeedStream;
  readonly audio: FeedStream | undefined;
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
