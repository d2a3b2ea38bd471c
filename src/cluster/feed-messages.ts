import type { FeedRequest, FeedStream } from '../../pipeline/ingest/rtp-feed.js';

/** Pipeline worker → every node ("whoever owns this router"): send these producers to my ffmpeg. */
export interface OpenFeedRequest {
  feedId: string;
  routerId: string;
  request: FeedRequest;
}

/** Origin → worker: the streams as they will arrive. */
export interface OpenFeedReply {
  node: string;
  video: FeedStream;
  audio: FeedStream | null;
}

/** Either way: about the feed `feedId`. */
export interface FeedNotice {
  feedId: string;
}

export const FEED = {
  open: 'feed.open',
  /** Worker → origin: let the media flow (answered once it does). */
  resume: 'feed.resume',
  keyframe: 'feed.keyframe',
  /** Worker → origin: the feed is no longer needed. */
  close: 'feed.close',
  /** Worker → origin, every FEED_KEEPALIVE_MS: still listening (a worker that dies says nothing more). */
  keepalive: 'feed.keepalive',
  /** Origin → worker: a producer went away. */
  closed: 'feed.closed',
} as const;

export const FEED_KEEPALIVE_MS = 2000;
/** A feed whose worker was silent this long is closed: the worker died. */
export const FEED_LEASE_MS = 3 * FEED_KEEPALIVE_MS;
