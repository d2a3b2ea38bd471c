import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../common/logger.js';
import { MediaRoom } from '../../../src/sfu/media-room.js';
import { InProcessPipe } from '../../../src/sfu/producer-pipe.js';
import { WorkerPool } from '../../../src/sfu/worker-pool.js';
import { waitFor } from '../../../bench/lib/wait.js';

const logger = createLogger('silent');
let pool: WorkerPool;
beforeAll(async () => {
  pool = await WorkerPool.create({ count: 2, rtcMinPort: 43000, rtcMaxPort: 43999, logger });
});
afterAll(() => pool.close());

const OPUS_PARAMS: types.RtpParameters = {
  codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }],
  encodings: [{ ssrc: 11111111 }],
};

async function plainProducer(router: types.Router): Promise<types.Producer> {
  const transport = await router.createPlainTransport({ listenIp: '127.0.0.1', comedia: true, rtcpMux: true });
  return transport.produce({ kind: 'audio', rtpParameters: OPUS_PARAMS });
}

async function plainConsumer(router: types.Router, producerId: string): Promise<types.Consumer> {
  const transport = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true });
  await transport.connect({ ip: '127.0.0.1', port: 9 });
  return transport.consume({ producerId, rtpCapabilities: router.rtpCapabilities });
}

describe('the SFU cascade', () => {
  it('keeps a small room on its origin, opens an edge on another worker when full, pipes on demand and closes what is idle', async () => {
    const room = await MediaRoom.open({ roomId: 'r_cascade', preferredCodec: 'vp8', consumersPerRouter: 2 }, pool, { local: new InProcessPipe() }, logger);
    const producer = await plainProducer(room.origin.router);

    // Each receiver reserves room for the two consumers it will open: the origin (capacity 2) is full after one.
    const firstSlot = await room.placeReceiver(2);
    const first = firstSlot.tier;
    expect(first).toBe(room.origin);
    // On the origin the producer itself is consumed: no copy (the caller has the producer).
    expect(await room.attachConsumer(firstSlot, producer.id)).toBeNull();
    const onOrigin = await plainConsumer(first.router, producer.id);
    expect(first.pipes.get(producer.id)?.piped).toBeNull();

    // Placed before the first receiver's second consumer exists: its reservation still counts.
    const secondSlot = await room.placeReceiver(2);
    const second = secondSlot.tier;
    expect(second).not.toBe(room.origin);
    expect(second.worker).not.toBe(room.origin.worker);
    // The copy on the edge has the original's type (what consumerCapabilities decides on).
    expect(await room.attachConsumer(secondSlot, producer.id)).toEqual({ type: 'simple', close: expect.any(Function) });
    const onEdge = await plainConsumer(second.router, producer.id);
    expect(second.pipes.get(producer.id)?.piped).not.toBeNull();
    expect(room.allTiers).toHaveLength(2);

    // Pausing at the origin reaches the edge's consumers through the pipe.
    await producer.pause();
    await waitFor(() => onEdge.producerPaused, { what: 'edge consumer sees the pause' });
    await producer.resume();
    await waitFor(() => !onEdge.producerPaused, { what: 'edge consumer sees the resume' });

    // The edge's last consumer and transport go: its pipe and router close.
    onEdge.close();
    room.detachConsumer(secondSlot, producer.id);
    expect(second.pipes.size).toBe(0);
    room.releaseReceiver(secondSlot);
    expect(second.router.closed).toBe(true);
    expect(room.allTiers).toHaveLength(1);

    onOrigin.close();
    room.detachConsumer(firstSlot, producer.id);
    room.releaseReceiver(firstSlot);
    room.close();
    expect(room.origin.router.closed).toBe(true);
    const routers = (await Promise.all(pool.all.map((w) => w.dump()))).flatMap((d) => d.routerIds);
    expect(routers).toEqual([]);
    expect(pool.all.map((w) => pool.loadOf(w))).toEqual([0, 0]);
  });

  it('spreads receivers over tiers and uses every worker', async () => {
    const room = await MediaRoom.open({ roomId: 'r_spread', preferredCodec: 'h264', consumersPerRouter: 3 }, pool, { local: new InProcessPipe() }, logger);
    const producer = await plainProducer(room.origin.router);
    for (let i = 0; i < 9; i += 1) {
      const slot = await room.placeReceiver(1);
      await room.attachConsumer(slot, producer.id);
    }
    // One tier per worker (a piped producer keeps its id, so a worker holds one copy), spread evenly.
    expect(room.allTiers).toHaveLength(2);
    expect(new Set(room.allTiers.map((t) => t.worker)).size).toBe(2);
    expect(room.allTiers.map((t) => t.consumers).sort()).toEqual([4, 5]);
    expect(room.allTiers.every((t) => t.reserved === 0)).toBe(true);
    expect(room.rtpCapabilities.codecs!.find((c) => c.kind === 'video')!.mimeType).toBe('video/H264');
    room.close();
  });

  it("an edge's copy of a simulcast producer is a simulcast producer", async () => {
    const room = await MediaRoom.open({ roomId: 'r_simulcast-copy', preferredCodec: 'vp8', consumersPerRouter: 1 }, pool, { local: new InProcessPipe() }, logger);
    const transport = await room.origin.router.createPlainTransport({ listenIp: '127.0.0.1', comedia: true, rtcpMux: true });
    const producer = await transport.produce({
      kind: 'video',
      rtpParameters: { codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }], encodings: [{ ssrc: 1 }, { ssrc: 2 }, { ssrc: 3 }] },
    });
    await room.attachConsumer(await room.placeReceiver(1), producer.id);
    const edgeSlot = await room.placeReceiver(1);
    expect(edgeSlot.tier).not.toBe(room.origin);
    expect((await room.attachConsumer(edgeSlot, producer.id))?.type).toBe('simulcast');
    room.close();
  });
});
