import { RouterFeeds } from '../../pipeline/ingest/router-feeds.js';
import type { RtpFeed } from '../../pipeline/ingest/rtp-feed.js';
import type { Logger } from '../../common/logger.js';
import { NOT_MINE, type ClusterBus } from './cluster-bus.js';
import { FEED, FEED_KEEPALIVE_MS, FEED_LEASE_MS, feedNoticeSchema, openFeedRequestSchema, type FeedNotice, type OpenFeedReply, type OpenFeedRequest } from './feed-messages.js';
import { checkPeerAddress, type NodeAddressBook } from './peer-address.js';
import type { RouterDirectory } from './router-directory.js';

/**
 * The origin end of LL-HLS feeds: for a pipeline worker on another node, sends the producers of a
 * router of this node as plain RTP to that worker's ffmpeg, and tells it when a producer goes.
 */
export class FeedServer {
  private readonly feeds = new Map<string, { feed: RtpFeed; worker: string; heardAt: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly bus: ClusterBus,
    private readonly routers: RouterDirectory,
    private readonly listenIp: string,
    /** Registered addresses (nodes and pipeline workers): feeds go only where their worker registered. */
    private readonly addresses: NodeAddressBook,
    private readonly logger: Logger,
  ) {
    bus.on(FEED.open, openFeedRequestSchema, (body, from) => this.open(body, from));
    bus.on(FEED.resume, feedNoticeSchema, async (body) => {
      await this.feeds.get(body.feedId)?.feed.resume();
      return {};
    });
    bus.on(FEED.keyframe, feedNoticeSchema, (body) => this.feeds.get(body.feedId)?.feed.requestKeyFrame());
    bus.on(FEED.close, feedNoticeSchema, (body) => this.close(body.feedId));
    bus.on(FEED.keepalive, feedNoticeSchema, (body) => {
      const entry = this.feeds.get(body.feedId);
      if (entry) entry.heardAt = Date.now();
    });
    // Pipeline workers are not in the node registry: a dead one is noticed by its silence.
    this.sweeper = setInterval(() => {
      for (const [feedId, { heardAt, worker }] of [...this.feeds]) {
        if (Date.now() - heardAt <= FEED_LEASE_MS) continue;
        this.logger.warn({ feed_id: feedId, worker }, 'closing a feed whose pipeline worker went silent');
        this.close(feedId);
      }
    }, FEED_KEEPALIVE_MS);
    this.sweeper.unref();
  }

  stop(): void {
    clearInterval(this.sweeper);
    for (const feedId of [...this.feeds.keys()]) this.close(feedId);
  }

  /** `nodeId` is gone: stop sending to its ffmpegs. */
  forgetNode(nodeId: string): void {
    for (const [feedId, { worker }] of [...this.feeds]) if (worker === nodeId) this.close(feedId);
  }

  private async open({ feedId, routerId, request }: OpenFeedRequest, worker: string): Promise<OpenFeedReply | typeof NOT_MINE> {
    const router = this.routers.get(routerId);
    if (!router) return NOT_MINE;
    await checkPeerAddress(this.addresses, worker, request.ip);
    const feed = await new RouterFeeds(router, this.listenIp).open(request);
    this.feeds.set(feedId, { feed, worker, heardAt: Date.now() });
    feed.onClosed(() => {
      if (!this.feeds.has(feedId)) return;
      this.close(feedId);
      this.bus.notify(worker, FEED.closed, { feedId } satisfies FeedNotice).catch((err: Error) => this.logger.warn({ err: err.message }, 'feed notice failed'));
    });
    return { node: this.bus.nodeId, video: feed.video, audio: feed.audio ?? null };
  }

  private close(feedId: string): void {
    const entry = this.feeds.get(feedId);
    this.feeds.delete(feedId);
    entry?.feed.close();
  }
}
