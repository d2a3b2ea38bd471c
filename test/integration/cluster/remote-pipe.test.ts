import type { types } from 'mediasoup';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { BusTimeoutError, ClusterBus } from '../../../src/cluster/cluster-bus.js';
import type { PipeNetwork } from '../../../src/cluster/pipe-messages.js';
import { PipeServer } from '../../../src/cluster/pipe-server.js';
import { RemotePipe } from '../../../src/cluster/remote-pipe.js';
import type { NodeAddressBook } from '../../../src/cluster/peer-address.js';
import { RouterDirectory } from '../../../src/cluster/router-directory.js';
import { createLogger } from '../../../common/logger.js';
import { MEDIA_CODECS } from '../../../src/sfu/media-codecs.js';
import { WorkerPool } from '../../../src/sfu/worker-pool.js';
import { waitFor } from '../../../bench/lib/wait.js';
import { startRtpSender, type RtpSender } from '../pipeline/rtp-sender.js';
import { freshRedisDb } from '../../helpers/test-stack.js';

const logger = createLogger('silent');
const network: PipeNetwork = { listenIp: '127.0.0.1', announcedIp: undefined, enableSrtp: false };
// What the node registry would say: every node of this test is registered at loopback.
const registered: NodeAddressBook = async (nodeId) => (nodeId.startsWith('node-') ? '127.0.0.1' : undefined);

// Two "nodes" in one process: each its own worker pool and cluster bus, meeting only through Redis.
let redis: Redis[];
let originPool: WorkerPool;
let edgePool: WorkerPool;
let buses: ClusterBus[];
let server: PipeServer;
let remote: RemotePipe;
let remoteSrtp: RemotePipe;
let originRouter: types.Router;
let edgeRouter: types.Router;
let sender: RtpSender;

beforeAll(async () => {
  const url = await freshRedisDb();
  redis = [new Redis(url), new Redis(url), new Redis(url)];
  originPool = await WorkerPool.create({ count: 1, rtcMinPort: 44000, rtcMaxPort: 44099, logger });
  edgePool = await WorkerPool.create({ count: 1, rtcMinPort: 44100, rtcMaxPort: 44199, logger });
  const directory = new RouterDirectory(originPool);
  buses = await Promise.all([ClusterBus.connect(redis[0]!, 'node-origin', logger), ClusterBus.connect(redis[1]!, 'node-edge', logger), ClusterBus.connect(redis[2]!, 'node-edge-srtp', logger)]);
  server = new PipeServer(buses[0]!, directory, network, registered, logger);
  remote = new RemotePipe(buses[1]!, network, registered, logger);
  remoteSrtp = new RemotePipe(buses[2]!, { ...network, enableSrtp: true }, registered, logger);
  originRouter = await originPool.leastLoaded().createRouter({ mediaCodecs: MEDIA_CODECS });
  edgeRouter = await edgePool.leastLoaded().createRouter({ mediaCodecs: MEDIA_CODECS });
  sender = await startRtpSender(originRouter, 60);
});
afterAll(async () => {
  await sender?.stop();
  await Promise.all((buses ?? []).map((b) => b.close()));
  originPool?.close();
  edgePool?.close();
  await Promise.all((redis ?? []).map((r) => r.quit()));
});

/** A consumer on the edge router sending to the discard port; its transport closes after the test. */
async function edgeConsumer(producerId: string): Promise<types.Consumer> {
  const transport = await edgeRouter.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true });
  onTestFinished(() => transport.close());
  await transport.connect({ ip: '127.0.0.1', port: 9 });
  return transport.consume({ producerId, rtpCapabilities: edgeRouter.rtpCapabilities });
}

async function packetsSent(consumer: types.Consumer): Promise<number> {
  const stats = await consumer.getStats();
  return stats.filter((s) => s.type === 'outbound-rtp').reduce((sum, s) => sum + s.packetCount, 0);
}

async function packetsGrow(consumer: types.Consumer): Promise<void> {
  const first = await waitFor(() => packetsSent(consumer), { what: 'first packets on the edge' });
  await waitFor(async () => (await packetsSent(consumer)) > first + 20, { what: 'packets keep arriving on the edge' });
}

describe('a producer piped to an edge on another node through Redis', () => {
  it('delivers the origin producer to consumers on the edge router, and follows pause and resume', async () => {
    const piped = await remote.pipe(sender.videoProducer.id, originRouter, edgeRouter);
    expect(server.size).toBe(1);
    const consumer = await edgeConsumer(sender.videoProducer.id);
    await packetsGrow(consumer);

    await sender.videoProducer.pause();
    await waitFor(() => consumer.producerPaused, { what: 'the edge sees the pause' });
    await sender.videoProducer.resume();
    await waitFor(() => !consumer.producerPaused, { what: 'the edge sees the resume' });
    await packetsGrow(consumer);

    // Closing the edge end closes the origin end.
    piped.close();
    await waitFor(() => consumer.closed, { what: 'the edge consumer closes with the piped producer' });
    await waitFor(() => server.size === 0, { what: 'the origin closes its end' });
  });

  it('pipes over SRTP when the edge asks for it', async () => {
    const piped = await remoteSrtp.pipe(sender.audioProducer.id, originRouter, edgeRouter);
    const consumer = await edgeConsumer(sender.audioProducer.id);
    await packetsGrow(consumer);
    piped.close();
    await waitFor(() => server.size === 0, { what: 'the origin closes its end' });
  });

  it('closes the edge end when the origin producer closes', async () => {
    const transport = await originRouter.createPlainTransport({ listenIp: '127.0.0.1', comedia: true, rtcpMux: true });
    const producer = await transport.produce({
      kind: 'audio',
      rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 33333333 }] },
    });
    await remote.pipe(producer.id, originRouter, edgeRouter);
    const consumer = await edgeConsumer(producer.id);
    producer.close();
    await waitFor(() => consumer.closed, { what: 'the edge consumer closes with the origin producer' });
    expect(server.size).toBe(0);
    transport.close();
    // No pipe transport is left on either router.
    await waitFor(async () => (await originRouter.dump()).transportIds.length === 2, { what: 'only the sender transports on the origin' });
  });

  it('sends media only to the addresses nodes registered, leaving nothing behind (issue 17 row 4)', async () => {
    // The origin refuses a request from a node the registry does not know (a forged bus message).
    const rogueRedis = new Redis(redis[0]!.options);
    const rogueBus = await ClusterBus.connect(rogueRedis, 'rogue-edge', logger);
    onTestFinished(async () => {
      await rogueBus.close();
      await rogueRedis.quit();
    });
    const rogue = new RemotePipe(rogueBus, network, registered, logger, 2000);
    await expect(rogue.pipe(sender.videoProducer.id, originRouter, edgeRouter)).rejects.toThrow(/rogue-edge is not registered/);
    // The edge refuses a reply naming another address than the origin's registered one.
    const misled = new RemotePipe(buses[1]!, network, async () => '10.9.9.9', logger, 2000);
    await expect(misled.pipe(sender.videoProducer.id, originRouter, edgeRouter)).rejects.toThrow(/registered at 10\.9\.9\.9/);
    // No transport is left on the edge, and the origin closed the end it had opened.
    expect((await edgeRouter.dump()).transportIds).toEqual([]);
    await waitFor(() => server.size === 0, { what: 'the origin closes its end' });
  });

  it('fails within its timeout when no node owns the origin router', async () => {
    const quick = new RemotePipe(buses[1]!, network, registered, logger, 300);
    await expect(quick.pipe(sender.videoProducer.id, { id: 'no-such-router' }, edgeRouter)).rejects.toBeInstanceOf(BusTimeoutError);
    expect((await edgeRouter.dump()).transportIds).toEqual([]);
  });
});
