// A viewer transport sends one SRTP stream per consumer, and the worker's libsrtp2 finds each packet's
// stream by SSRC in the set-up's own stream list (scripts/setup/libsrtp-stream-list.c: three inline,
// then arrays that grow). Here one SRTP viewer consumes 12 producers, so its send session grows the list
// twice, and an implementation nobody here wrote (werift's SRTP, AEAD_AES_128_GCM) decrypts every packet
// with the worker's key: each stream's packets arrive intact, in order, none missing.
import type { AddressInfo } from 'node:net';
import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../common/logger.js';
import { WorkerPool } from '../../../src/sfu/worker-pool.js';
import { waitFor } from '../../../bench/lib/wait.js';
import { isRtcp, labelledRtpPacket, labelOf, LoopbackSockets, workerSrtpDecryptor } from '../../helpers/srtp-receiver.js';

const PRODUCERS = 12;
const PACKETS_EACH = 40;
const OPUS = { mimeType: 'audio/opus', clockRate: 48000, channels: 2 } as const;

let pool: WorkerPool;
const sockets = new LoopbackSockets();
beforeAll(async () => {
  pool = await WorkerPool.create({ count: 1, rtcMinPort: 44600, rtcMaxPort: 44699, logger: createLogger('silent') });
});
afterAll(() => {
  sockets.closeAll();
  pool.close();
});

describe("the worker's SRTP with many streams per viewer", () => {
  it('sends 12 consumers to one SRTP viewer, every packet decrypted by werift', async () => {
    const [worker] = pool.all;
    const router = await worker!.createRouter({ mediaCodecs: [{ kind: 'audio', ...OPUS }] });
    const source = await sockets.bind();
    const viewer = await sockets.bind();

    const producers: { producer: types.Producer; port: number; ssrc: number }[] = [];
    for (let i = 0; i < PRODUCERS; i++) {
      const transport = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: true });
      const ssrc = 30_000_000 + i;
      const producer = await transport.produce({ kind: 'audio', rtpParameters: { codecs: [{ ...OPUS, payloadType: 100 }], encodings: [{ ssrc }] } });
      producers.push({ producer, port: transport.tuple.localPort, ssrc });
    }

    const out = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, enableSrtp: true, srtpCryptoSuite: 'AEAD_AES_128_GCM' });
    const viewerPort = (viewer.address() as AddressInfo).port;
    // The viewer never sends, so its own key only has to be well formed.
    await out.connect({ ip: '127.0.0.1', port: viewerPort, srtpParameters: { cryptoSuite: 'AEAD_AES_128_GCM', keyBase64: Buffer.alloc(28, 7).toString('base64') } });
    const producerOfSsrc = new Map<number, number>();
    for (const [i, { producer }] of producers.entries()) {
      const consumer = await out.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
      producerOfSsrc.set(consumer.rtpParameters.encodings![0]!.ssrc!, i);
    }

    // The worker's sending key: what a WebRTC viewer would get through DTLS.
    const decrypt = workerSrtpDecryptor(out.srtpParameters!.keyBase64);
    const received = new Map<number, string[]>();
    const failures: string[] = [];
    viewer.on('message', (msg) => {
      if (isRtcp(msg)) return;
      try {
        const packet = decrypt(msg);
        const producer = producerOfSsrc.get(packet.header.ssrc);
        if (producer === undefined) throw new Error(`unknown SSRC ${packet.header.ssrc}`);
        const list = received.get(producer) ?? [];
        list.push(labelOf(packet));
        received.set(producer, list);
      } catch (err) {
        failures.push((err as Error).message);
      }
    });

    // Interleaved, as a room's producers are: one packet of each in turn.
    for (let seq = 1; seq <= PACKETS_EACH; seq++) {
      for (const [i, { port, ssrc }] of producers.entries()) source.send(labelledRtpPacket(ssrc, seq, `producer ${i} packet ${seq}`), port, '127.0.0.1');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await waitFor(() => [...received.values()].reduce((n, list) => n + list.length, 0) >= PRODUCERS * PACKETS_EACH, {
      what: 'every packet at the viewer',
      timeoutMs: 10_000,
    });

    expect(failures).toEqual([]);
    for (let i = 0; i < PRODUCERS; i++) {
      expect(received.get(i)).toEqual(Array.from({ length: PACKETS_EACH }, (_, k) => `producer ${i} packet ${k + 1}`));
    }
    router.close();
  });
});
