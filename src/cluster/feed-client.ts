import type { Redis } from 'ioredis';
import type { RtpFeedSource } from '../../pipeline/ingest/rtp-feed.js';
import type { Logger } from '../../common/logger.js';
import { ClusterBus } from './cluster-bus.js';
import { FeedWorkerAddress } from './feed-worker-address.js';
import { NodeDirectory } from './node-registry.js';
import { NodeWatch } from './node-watch.js';
import { RemoteFeeds } from './remote-feeds.js';

/**
 * A pipeline-only process in the cluster: it takes LL-HLS feeds from the nodes' routers and holds
 * none itself, so it is not in the node registry (placement never picks it); it listens on the
 * bus under its own id, registers the address its ffmpegs listen on (nodes send feeds there only)
 * and notices nodes that die (their feeds end).
 */
export class FeedClient {
  private constructor(
    private readonly bus: ClusterBus,
    private readonly watch: NodeWatch,
    private readonly feeds: RemoteFeeds,
    private readonly address: FeedWorkerAddress,
  ) {}

  /** `listenIp`: where this worker's ffmpegs receive RTP, as the nodes reach it. */
  static async connect(redis: Redis, id: string, listenIp: string, logger: Logger): Promise<FeedClient> {
    const bus = await ClusterBus.connect(redis, id, logger);
    const feeds = new RemoteFeeds(bus, logger);
    const watch = new NodeWatch(new NodeDirectory(redis), logger);
    const address = new FeedWorkerAddress(redis, id, listenIp, logger);
    watch.on('lost', (nodeId) => feeds.forgetNode(nodeId));
    try {
      await address.start();
      await watch.start();
    } catch (err) {
      await address.stop().catch(() => {});
      await bus.close();
      throw err;
    }
    return new FeedClient(bus, watch, feeds, address);
  }

  feedsFor(routerId: string): RtpFeedSource {
    return this.feeds.of(routerId);
  }

  async close(): Promise<void> {
    this.watch.stop();
    await this.address.stop().catch(() => {});
    await this.bus.close();
  }
}
