import type { Redis } from 'ioredis';
import type { RtpFeedSource } from '../../pipeline/ingest/rtp-feed.js';
import type { Logger } from '../../common/logger.js';
import { ClusterBus } from './cluster-bus.js';
import { NodeDirectory } from './node-registry.js';
import { NodeWatch } from './node-watch.js';
import { RemoteFeeds } from './remote-feeds.js';

/**
 * A pipeline-only process in the cluster: it takes LL-HLS feeds from the nodes' routers and holds
 * none itself, so it is not in the node registry (placement never picks it); it listens on the
 * bus under its own id and notices nodes that die (their feeds end).
 */
export class FeedClient {
  private constructor(
    private readonly bus: ClusterBus,
    private readonly watch: NodeWatch,
    private readonly feeds: RemoteFeeds,
  ) {}

  static async connect(redis: Redis, id: string, logger: Logger): Promise<FeedClient> {
    const bus = await ClusterBus.connect(redis, id, logger);
    const feeds = new RemoteFeeds(bus, logger);
    const watch = new NodeWatch(new NodeDirectory(redis), logger);
    watch.on('lost', (nodeId) => feeds.forgetNode(nodeId));
    try {
      await watch.start();
    } catch (err) {
      await bus.close();
      throw err;
    }
    return new FeedClient(bus, watch, feeds);
  }

  feedsFor(routerId: string): RtpFeedSource {
    return this.feeds.of(routerId);
  }

  async close(): Promise<void> {
    this.watch.stop();
    await this.bus.close();
  }
}
