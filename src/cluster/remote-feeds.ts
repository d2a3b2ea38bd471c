import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { FeedRequest, FeedStream, RtpFeed, RtpFeedSource } from '../../pipeline/ingest/rtp-feed.js';
import type { Logger } from '../../common/logger.js';
import type { ClusterBus } from './cluster-bus.js';
import { FEED, FEED_KEEPALIVE_MS, feedNoticeSchema, openFeedReplySchema, type FeedNotice, type OpenFeedReply, type OpenFeedRequest } from './feed-messages.js';

/**
 * The pipeline worker's end of feeds from routers on other nodes: asks the node that owns the
 * router (FeedServer) to send the producers to this worker's ffmpeg, and hears when they go away
 * (or their node does).
 */
export class RemoteFeeds {
  private readonly open = new Map<string, RemoteFeed>();

  constructor(
    private readonly bus: ClusterBus,
    private readonly logger: Logger,
    private readonly timeoutMs = 5000,
  ) {
    bus.on(FEED.closed, feedNoticeSchema, (body) => this.open.get(body.feedId)?.sourceClosed());
  }

  /** Feeds of the producers of router `routerId` (on whichever node owns it). */
  of(routerId: string): RtpFeedSource {
    return {
      open: async (request: FeedRequest) => {
        const feedId = randomUUID();
        const reply = await this.bus.request(null, FEED.open, { feedId, routerId, request } satisfies OpenFeedRequest, openFeedReplySchema, this.timeoutMs);
        const feed = new RemoteFeed(this.bus, feedId, reply, this.timeoutMs, () => this.open.delete(feedId), this.logger);
        this.open.set(feedId, feed);
        return feed;
      },
    };
  }

  /** `nodeId` is gone: the feeds it sent are over. */
  forgetNode(nodeId: string): void {
    for (const feed of [...this.open.values()]) if (feed.node === nodeId) feed.sourceClosed();
  }
}

class RemoteFeed implements RtpFeed {
  readonly node: string;
  readonly video: FeedStream;
  readonly audio: FeedStream | undefined;
  private listeners: (() => void)[] = [];
  private closed = false;
  private readonly keepalive: NodeJS.Timeout;

  constructor(
    private readonly bus: ClusterBus,
    private readonly feedId: string,
    reply: OpenFeedReply,
    private readonly timeoutMs: number,
    private readonly forget: () => void,
    private readonly logger: Logger,
  ) {
    this.node = reply.node;
    this.video = reply.video;
    this.audio = reply.audio ?? undefined;
    this.keepalive = setInterval(() => {
      this.bus.notify(this.node, FEED.keepalive, { feedId: this.feedId } satisfies FeedNotice).catch(() => {});
    }, FEED_KEEPALIVE_MS);
    this.keepalive.unref();
  }

  async resume(): Promise<void> {
    await this.bus.request(this.node, FEED.resume, { feedId: this.feedId } satisfies FeedNotice, z.unknown(), this.timeoutMs);
  }

  async requestKeyFrame(): Promise<void> {
    await this.bus.notify(this.node, FEED.keyframe, { feedId: this.feedId } satisfies FeedNotice);
  }

  onClosed(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** A producer (or its node) went away. */
  sourceClosed(): void {
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepalive);
    this.forget();
    this.bus.notify(this.node, FEED.close, { feedId: this.feedId } satisfies FeedNotice).catch((err: Error) => this.logger.warn({ err: err.message }, 'feed close notice failed'));
  }
}
