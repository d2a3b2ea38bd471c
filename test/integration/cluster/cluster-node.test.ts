import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterNode } from '../../../src/cluster/cluster-node.js';
import { createLogger } from '../../../common/logger.js';
import { WorkerPool } from '../../../src/sfu/worker-pool.js';
import { freshRedisDb } from '../../helpers/test-stack.js';

const logger = createLogger('silent');
let redis: Redis;
let pool: WorkerPool;

beforeAll(async () => {
  redis = new Redis(await freshRedisDb());
  pool = await WorkerPool.create({ count: 2, rtcMinPort: 44200, rtcMaxPort: 44299, logger });
});
afterAll(async () => {
  pool.close();
  await redis.quit();
});

describe('a node joining the cluster', () => {
  it('registers itself with its workers and sampled load, is placed, and leaves at once on stop', async () => {
    const node = new ClusterNode({
      redis,
      pool,
      liveRooms: () => 3,
      nodeId: 'node-1',
      region: 'eu',
      network: { listenIp: '127.0.0.1', announcedIp: '203.0.113.7', enableSrtp: false },
      logger,
    });
    expect(await node.nodes.list()).toEqual([]);
    await expect(node.placement.originFor('r_early', null)).rejects.toMatchObject({ code: 'no_node' });
    expect(() => node.remotePipe).toThrow();

    await node.join('http://node-1.test:8080');
    expect(node.remotePipe).toBeDefined();
    const [listed] = await node.nodes.list();
    expect(listed).toMatchObject({ id: 'node-1', region: 'eu', url: 'http://node-1.test:8080', rtc_address: '203.0.113.7', workers: 2, load: { consumers: 0, rooms: 3 } });
    expect(listed!.load.cpu).toBeGreaterThanOrEqual(0);
    expect(listed!.load.cpu).toBeLessThanOrEqual(1);
    expect((await node.placement.originFor('r_here', 'us')).origin.id).toBe('node-1');

    await node.stop();
    expect(await node.nodes.list()).toEqual([]);
  });
});
