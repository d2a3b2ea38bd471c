import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { WorkerPool } from '../sfu/worker-pool.js';
import { ClusterBus } from './cluster-bus.js';
import { LoadSampler } from './load-sampler.js';
import { NodeRegistry } from './node-registry.js';
import type { PipeNetwork } from './pipe-messages.js';
import { PipeServer } from './pipe-server.js';
import { Placement } from './placement.js';
import { RemotePipe } from './remote-pipe.js';
import { RouterDirectory } from './router-directory.js';

export interface ClusterNodeOptions {
  redis: Redis;
  pool: WorkerPool;
  /** Live rooms on this node, for the heartbeat. */
  liveRooms: () => number;
  nodeId: string;
  region: string;
  publicUrl: string;
  network: PipeNetwork;
  logger: Logger;
}

/**
 * This node's membership of the cluster: its heartbeat in the registry, the shared placement, and
 * both ends of cross-node pipes (it serves its routers to edges elsewhere and pipes from origins
 * elsewhere). `stop()` leaves the registry at once, so placement stops choosing this node.
 */
export class ClusterNode {
  private constructor(
    readonly registry: NodeRegistry,
    readonly placement: Placement,
    readonly remotePipe: RemotePipe,
    private readonly bus: ClusterBus,
  ) {}

  /** Create it before any room opens: the router directory only sees routers created after it. */
  static async start(options: ClusterNodeOptions): Promise<ClusterNode> {
    const { redis, pool, network, logger } = options;
    const routers = new RouterDirectory(pool);
    const bus = await ClusterBus.connect(redis, options.nodeId, logger);
    new PipeServer(bus, routers, network, logger); // answers other nodes over the bus from now on
    const sampler = new LoadSampler(pool, options.liveRooms);
    const registry = new NodeRegistry({
      redis,
      node: { id: options.nodeId, region: options.region, url: options.publicUrl, rtc_address: network.announcedIp ?? network.listenIp, workers: pool.size },
      sampleLoad: () => sampler.sample(),
      logger,
    });
    try {
      await registry.start();
    } catch (err) {
      await bus.close();
      throw err;
    }
    return new ClusterNode(registry, new Placement(redis, registry), new RemotePipe(bus, network, logger), bus);
  }

  async stop(): Promise<void> {
    await this.registry.stop().catch(() => {});
    await this.bus.close();
  }
}
