import { z } from 'zod';
import { feedRequestSchema, feedStreamSchema } from '../../pipeline/ingest/rtp-feed.js';

// The bodies below travel on the cluster bus, which parses each with its schema (ClusterBus.on/request).

/** Pipeline worker → every node ("whoever owns this router"): send these producers to my ffmpeg. */
export const openFeedRequestSchema = z.object({ feedId: z.string(), routerId: z.string(), request: feedRequestSchema });
export type OpenFeedRequest = z.infer<typeof openFeedRequestSchema>;

/** Origin → worker: the streams as they will arrive. */
export const openFeedReplySchema = z.object({ node: z.string(), video: feedStreamSchema, audio: feedStreamSchema.nullable() });
export type OpenFeedReply = z.infer<typeof openFeedReplySchema>;

/** Either way: about the feed `feedId`. */
export const feedNoticeSchema = z.object({ feedId: z.string() });
export type FeedNotice = z.infer<typeof feedNoticeSchema>;

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
