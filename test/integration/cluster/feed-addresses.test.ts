import type { types } from 'mediasoup';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../common/logger.js';
import { ClusterBus } from '../../../src/cluster/cluster-bus.js';
import { FeedServer } from '../../../src/cluster/feed-server.js';
import { FeedWorkerAddress } from '../../../src/cluster/feed-worker-address.js';
import { RemoteFeeds } from '../../../src/cluster/remote-feeds.js';
import { RouterDirectory } from '../../../src/cluster/router-directory.js';
import { MEDIA_CODECS } from '../../../src/sfu/media-codecs.js';
import { WorkerPool } from '../../../src/sfu/worker-pool.js';
import { freshRedisDb } from '../../helpers/test-stack.js';
import { startRtpSender, type RtpSender } from '../pipeline/rtp-sender.js';

// Issue 17 row 4: a node sends LL-HLS feeds only to the address the asking pipeline worker
// registered (FeedWorkerAddress), so a forged feed.open on the bus cannot aim RTP at any ip:port.
const logger = createLogger('silent');
let redis: Redis[];
let pool: WorkerPool;
let buses: ClusterBus[];
let router: types.Router;
let sender: RtpSender;
let registration: FeedWorkerAddress;

beforeAll(async () => {
  const url = await freshRedisDb();
  redis = [new Redis(url), new Redis(url), new Redis(url)];
  pool = await WorkerPool.create({ count: 1, rtcMinPort: 44400, rtcMaxPort: 44499, logger });
  const directory = new RouterDirectory(pool);
  buses = await Promise.all([ClusterBus.connect(redis[0]!, 'node-a', logger), ClusterBus.connect(redis[1]!, 'worker-1', logger), ClusterBus.connect(redis[2]!, 'worker-rogue', logger)]);
  new FeedServer(buses[0]!, directory, '127.0.0.1', (id) => FeedWorkerAddress.of(redis[0]!, id), logger);
  registration = new FeedWorkerAddress(redis[1]!, 'worker-1', '127.0.0.1', logger);
  await registration.start();
  router = await pool.leastLoaded().createRouter({ mediaCodecs: MEDIA_CODECS });
  sender = await startRtpSender(router, 30);
});
afterAll(async () => {
  await sender?.stop();
  await registration?.stop();
  await Promise.all((buses ?? []).map((b) => b.close()));
  pool?.close();
  await Promise.all((redis ?? []).map((r) => r.quit()));
});

const request = (ip: string) => ({ videoProducerId: sender.videoProducer.id, ip, videoPort: 47900 });
const plainTransports = async () => (await router.dump()).transportIds.length;

describe('LL-HLS feeds between processes', () => {
  it('go to the address the pipeline worker registered, and nowhere else', async () => {
    const before = await plainTransports();
    const feeds = new RemoteFeeds(buses[1]!, logger, 2000).of(router.id);
    await expect(feeds.open(request('10.1.2.3'))).rejects.toThrow(/registered at 127\.0\.0\.1, not 10\.1\.2\.3/);
    expect(await plainTransports()).toBe(before);

    const rogue = new RemoteFeeds(buses[2]!, logger, 2000).of(router.id);
    await expect(rogue.open(request('127.0.0.1'))).rejects.toThrow(/worker-rogue is not registered/);
    expect(await plainTransports()).toBe(before);

    const feed = await feeds.open(request('127.0.0.1'));
    expect(await plainTransports()).toBe(before + 1);
    feed.close();
  });
});
