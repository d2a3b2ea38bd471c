// One packet's fan-out to many SRTP viewers. The worker encrypts the viewers' copies in a row and
// sends them in a row (scripts/setup/mediasoup-srtp-send-batch.hpp: 16 per batch, the rest when the
// Router's loop over the consumers ends; a packet too large for a batch slot goes out at once). Here
// 40 SRTP viewers (two full batches and a partial one) and 4 plain-RTP viewers between them consume
// one producer, and werift's SRTP (nobody here wrote it) decrypts each viewer's packets with that
// viewer's key: every packet there, intact, in order, the large ones included.
import type { AddressInfo } from 'node:net';
import { RtpPacket } from 'werift';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../common/logger.js';
import { WorkerPool } from '../../../src/sfu/worker-pool.js';
import { waitFor } from '../../../bench/lib/wait.js';
import { isRtcp, labelledRtpPacket, labelOf, LoopbackSockets, workerSrtpDecryptor } from '../../helpers/srtp-receiver.js';

const SRTP_VIEWERS = 40;
const PLAIN_EVERY = 10;
const PACKETS = 30;
/** Every LARGE_EVERY-th packet is larger than a batch slot (1,500 bytes and the SRTP trailer). */
const LARGE_EVERY = 10;
const LARGE_PAYLOAD = 1700;
const OPUS = { mimeType: 'audio/opus', clockRate: 48000, channels: 2 } as const;

let pool: WorkerPool;
const sockets = new LoopbackSockets();
beforeAll(async () => {
  pool = await WorkerPool.create({ count: 1, rtcMinPort: 44700, rtcMaxPort: 44799, logger: createLogger('silent') });
});
afterAll(() => {
  sockets.closeAll();
  pool.close();
});

interface Viewer {
  name: string;
  labels: string[];
  failures: string[];
}

describe("the worker's SRTP fan-out in batches", () => {
  it('delivers every packet to 40 SRTP viewers and the plain ones between them, each decrypted by werift', async () => {
    const [worker] = pool.all;
    const router = await worker!.createRouter({ mediaCodecs: [{ kind: 'audio', ...OPUS }] });
    const source = await sockets.bind();
    const input = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: true });
    const ssrc = 40_000_000;
    const producer = await input.produce({ kind: 'audio', rtpParameters: { codecs: [{ ...OPUS, payloadType: 100 }], encodings: [{ ssrc }] } });

    const viewers: Viewer[] = [];
    const keys = new Set<string>();
    const addViewer = async (srtp: boolean, index: number): Promise<void> => {
      const socket = await sockets.bind();
      const transport = await router.createPlainTransport({
        listenIp: '127.0.0.1',
        rtcpMux: true,
        ...(srtp ? { enableSrtp: true, srtpCryptoSuite: 'AEAD_AES_128_GCM' as const } : {}),
      });
      // The viewers never send, so their own keys only have to be well formed.
      await transport.connect({
        ip: '127.0.0.1',
        port: (socket.address() as AddressInfo).port,
        ...(srtp ? { srtpParameters: { cryptoSuite: 'AEAD_AES_128_GCM' as const, keyBase64: Buffer.alloc(28, 7).toString('base64') } } : {}),
      });
      await transport.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
      const viewer: Viewer = { name: `${srtp ? 'SRTP' : 'plain'} viewer ${index}`, labels: [], failures: [] };
      let decrypt = (datagram: Buffer): RtpPacket => RtpPacket.deSerialize(datagram);
      if (srtp) {
        keys.add(transport.srtpParameters!.keyBase64);
        decrypt = workerSrtpDecryptor(transport.srtpParameters!.keyBase64);
      }
      socket.on('message', (msg) => {
        if (isRtcp(msg)) return;
        try {
          viewer.labels.push(labelOf(decrypt(msg)));
        } catch (err) {
          viewer.failures.push((err as Error).message);
        }
      });
      viewers.push(viewer);
    };
    for (let i = 0; i < SRTP_VIEWERS; i++) {
      if (i % PLAIN_EVERY === 0) await addViewer(false, i / PLAIN_EVERY);
      await addViewer(true, i);
    }
    expect(keys.size).toBe(SRTP_VIEWERS);

    const port = input.tuple.localPort;
    const expected: string[] = [];
    for (let seq = 1; seq <= PACKETS; seq++) {
      const label = `packet ${seq}${seq % LARGE_EVERY === 0 ? ' (large)' : ''}`;
      expected.push(label);
      source.send(labelledRtpPacket(ssrc, seq, label, seq % LARGE_EVERY === 0 ? LARGE_PAYLOAD : 160), port, '127.0.0.1');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await waitFor(() => viewers.every((v) => v.labels.length + v.failures.length >= PACKETS), { what: 'every packet at every viewer', timeoutMs: 10_000 });

    for (const viewer of viewers) expect({ viewer: viewer.name, labels: viewer.labels, failures: viewer.failures }).toEqual({ viewer: viewer.name, labels: expected, failures: [] });
    router.close();
  });
});
