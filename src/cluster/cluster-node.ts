import type { Redis } from 'ioredis';
import { RouterFeeds } from '../../pipeline/ingest/router-feeds.js';
import type { RtpFeedSource } from '../../pipeline/ingest/rtp-feed.js';
import type { Logger } from '../../common/logger.js';
import type { WorkerPool } from '../sfu/worker-pool.js';
import { ClusterBus } from './cluster-bus.js';
import { FeedServer } from './feed-server.js';
import { FeedWorkerAddress } from './feed-worker-address.js';
import { LoadSampler } from './load-sampler.js';
import { NodeDirectory, NodeRegistry, type NodeInfo } from './node-registry.js';
import { NodeWatch } from './node-watch.js';
import type { PipeNetwork } from './pipe-messages.js';
import type { NodeAddressBook } from './peer-address.js';
import { PipeServer } from './pipe-server.js';
import { Placement } from './placement.js';
import { RemoteFeeds } from './remote-feeds.js';
import { RemotePipe } from './remote-pipe.js';
import { RouterDirectory } from './router-directory.js';

export interface ClusterNodeOptions {
  redis: Redis;
  pool: WorkerPool;
  /** Live rooms on this node, for the heartbeat. */
  liveRooms: () => number;
  nodeId: string;
  region: string;
  network: PipeNetwork;
  logger: Logger;
}

interface Membership {
  registry: NodeRegistry;
  bus: ClusterBus;
  remotePipe: RemotePipe;
  pipeServer: PipeServer;
  feedServer: FeedServer;
  remoteFeeds: RemoteFeeds;
}

/**
 * This node in the cluster: the shared node list and placement (usable at once), then, from
 * `join()`, its heartbeat in the registry and both ends of cross-node pipes (it serves its routers
 * to edges elsewhere and pipes from origins elsewhere). `stop()` leaves the registry at once.
 */
export class ClusterNode {
  readonly nodes: NodeDirectory;
  readonly placement: Placement;
  /** Tells when another node dies; pipes to and from it are closed by then. */
  readonly watch: NodeWatch;
  private readonly routers: RouterDirectory;
  private membership: Membership | null = null;

  /** Create it before any room opens: the router directory only sees routers created after it. */
  constructor(private readonly options: ClusterNodeOptions) {
    this.routers = new RouterDirectory(options.pool);
    this.nodes = new NodeDirectory(options.redis);
    this.placement = new Placement(options.redis, this.nodes);
    this.watch = new NodeWatch(this.nodes, options.logger);
    this.watch.on('lost', (nodeId) => {
      this.membership?.pipeServer.forgetNode(nodeId);
      this.membership?.remotePipe.forgetNode(nodeId);
      this.membership?.feedServer.forgetNode(nodeId);
      this.membership?.remoteFeeds.forgetNode(nodeId);
    });
  }

  get id(): string {
    return this.options.nodeId;
  }

  /** Whether this node holds the room's origin (placing the room first if nobody does), and the live nodes. */
  async origin(roomId: string, regionHint: string | null): Promise<{ here: boolean; node: NodeInfo; nodes: NodeInfo[] }> {
    const { origin, nodes } = await this.placement.originFor(roomId, regionHint);
    return { here: origin.id === this.id, node: origin, nodes };
  }

  /** Pipes producers from origins on other nodes; there once the node has joined. */
  get remotePipe(): RemotePipe {
    if (!this.membership) throw new Error('the node has not joined the cluster');
    return this.membership.remotePipe;
  }

  /** LL-HLS feeds of a router's producers: straight from it when it is in this process, else from its node. */
  feedsFor(routerId: string): RtpFeedSource {
    const router = this.routers.get(routerId);
    if (router) return new RouterFeeds(router, this.options.network.listenIp);
    if (!this.membership) throw new Error('the node has not joined the cluster');
    return this.membership.remoteFeeds.of(routerId);
  }

  /** Announces the node (reachable at `publicUrl`) and starts answering other nodes. */
  async join(publicUrl: string): Promise<void> {
    const { redis, pool, network, logger } = this.options;
    const bus = await ClusterBus.connect(redis, this.id, logger);
    const sampler = new LoadSampler(pool, this.options.liveRooms);
    const registry = new NodeRegistry({
      redis,
      node: { id: this.id, region: this.options.region, url: publicUrl, rtc_address: network.announcedIp ?? network.listenIp, workers: pool.size },
      sampleLoad: () => sampler.sample(),
      logger,
    });
    const addresses: NodeAddressBook = async (nodeId) => (await this.nodes.list()).find((n) => n.id === nodeId)?.rtc_address;
    // Both answer other nodes over the bus from now on.
    const pipeServer = new PipeServer(bus, this.routers, network, addresses, logger);
    // Ingest runs on nodes (registered above) and on pipeline workers (registered by their FeedClient).
    const feedAddresses: NodeAddressBook = async (id) => (await addresses(id)) ?? (await FeedWorkerAddress.of(redis, id));
    const feedServer = new FeedServer(bus, this.routers, network.listenIp, feedAddresses, logger);
    try {
      await registry.start();
      await this.watch.start();
    } catch (err) {
      await registry.stop().catch(() => {});
      await bus.close();
      throw err;
    }
    this.membership = { registry, bus, remotePipe: new RemotePipe(bus, network, addresses, logger), pipeServer, feedServer, remoteFeeds: new RemoteFeeds(bus, logger) };
  }

  async stop(): Promise<void> {
    const membership = this.membership;
    this.membership = null;
    this.watch.stop();
    membership?.feedServer.stop();
    await membership?.registry.stop().catch(() => {});
    await membership?.bus.close();
  }
}
