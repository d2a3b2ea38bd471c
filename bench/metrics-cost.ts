// Bench: what /metrics costs, measured as CPU rather than as latency, so the figures hold on a busy
// machine where rooms-create's p99 and sfu-fanout's pkt/s per core move by more than the metrics do:
//   1. a REST request's extra work (the HTTP histogram's middleware: a finish listener, one observe);
//   2. one scrape of a loopback node (every reader: Redis counts, BullMQ, participants, mediasoup)
//      in the node process;
//   3. one scrape's reads on a mediasoup worker holding BENCH_CONSUMERS consumers (consumer stats in
//      turns, CPU usage), in the worker process.
// Each is put against what it is a share of, at Prometheus' 5 s interval (docker-compose's).
//
//   npm run build && node dist/bench/metrics-cost.js
//
// Env: BENCH_CONSUMERS (400: consumers on the worker, a 200-viewer room), BENCH_SCRAPES (40),
// BENCH_REQUESTS (200000: middleware iterations), BENCH_SCRAPE_S (5).
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Request, Response } from 'express';
import { Metrics } from '../common/metrics.js';
import { formatApiKey, generateApiKey } from '../src/auth/api-key.js';
import { observeHttp } from '../src/api/http-metrics.js';
import type { Stack } from '../src/runtime/stack.js';
import { envCount, envNumber } from './lib/env.js';
import { loopbackNodeStarter } from './lib/loopback-node.js';
import { log } from './lib/log.js';
import { runBench } from './lib/run-bench.js';

const CONSUMERS = envCount('BENCH_CONSUMERS', 400);
const SCRAPES = envNumber('BENCH_SCRAPES', 40);
const REQUESTS = envNumber('BENCH_REQUESTS', 200_000);
const SCRAPE_S = envNumber('BENCH_SCRAPE_S', 5);
/** Server CPU of one POST /v1/rooms on this kind of machine (rooms-create's "srv CPU µs/req" column). */
const ROOM_CREATE_CPU_US = envNumber('BENCH_ROOM_CREATE_CPU_US', 400);
/** Worker CPU of one forwarded packet, plain RTP (sfu-fanout's µs/pkt). */
const PACKET_CPU_US = envNumber('BENCH_PACKET_CPU_US', 6.5);

const running: { stack?: Stack; dataDir?: string } = {};
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** The middleware's own work per request: what observeHttp adds to an express request. */
function middlewareCostUs(): number {
  const metrics = new Metrics({ nodeDefaults: false });
  const handler = observeHttp(metrics);
  const req = { method: 'POST', baseUrl: '/v1', route: { path: '/rooms' } } as unknown as Request;
  const run = (n: number) => {
    for (let i = 0; i < n; i += 1) {
      const res = Object.assign(new EventEmitter(), { statusCode: 201 }) as unknown as Response;
      handler(req, res, () => {});
      res.emit('finish');
    }
  };
  // The same loop without the middleware: the fake response's own cost, taken off.
  const bare = (n: number) => {
    for (let i = 0; i < n; i += 1) {
      const res = new EventEmitter();
      res.once('finish', () => {});
      res.emit('finish');
    }
  };
  run(20_000);
  bare(20_000);
  const t0 = cpuMs();
  run(REQUESTS);
  const t1 = cpuMs();
  bare(REQUESTS);
  const t2 = cpuMs();
  return Math.max(0, (t1 - t0 - (t2 - t1)) * 1000) / REQUESTS;
}

async function benchMain(): Promise<void> {
  log(`LevelChat bench: the cost of /metrics as CPU (${os.cpus().length} CPUs, loadavg ${os.loadavg()[0]!.toFixed(2)})`);
  const perRequestUs = middlewareCostUs();
  log(`REST      HTTP histogram middleware: ${perRequestUs.toFixed(2)} µs of CPU per request = ${((perRequestUs / ROOM_CREATE_CPU_US) * 100).toFixed(2)}% of a POST /v1/rooms (${ROOM_CREATE_CPU_US} µs, BENCH_ROOM_CREATE_CPU_US)`);

  const dataDir = (running.dataDir = mkdtempSync(path.join(os.tmpdir(), 'levelchat-metrics-cost-')));
  const apiKey = formatApiKey(generateApiKey());
  const stack = (running.stack = await (await loopbackNodeStarter())({ dataDir, apiKey, workers: '1' }));
  // Something to count: rooms in several states and types.
  for (let i = 0; i < 50; i += 1) {
    await fetch(`${stack.summary.url}/v1/rooms`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ type: i % 2 ? 'meeting' : 'broadcast' }) });
  }

  // A room's worth of consumers on the node's worker: one producer, one plain transport per two consumers.
  const { MEDIA_CODECS } = await import('../src/sfu/media-codecs.js');
  const worker = stack.workers.all[0]!;
  const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
  const ingress = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: true });
  const producer = await ingress.produce({
    kind: 'video',
    rtpParameters: { codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }], encodings: [{ ssrc: 1111 }] },
  });
  for (let i = 0; i < CONSUMERS; i += 2) {
    const t = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: false });
    await t.connect({ ip: '127.0.0.1', port: 9 });
    for (let j = 0; j < 2 && i + j < CONSUMERS; j += 1) await t.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
  }
  log(`node      loopback node, 1 worker, ${CONSUMERS} consumers on it; ${SCRAPES} scrapes`);

  await stack.metrics.render();
  const workerCpu = async () => {
    const u = await worker.getResourceUsage();
    return u.ru_utime + u.ru_stime;
  };
  const w0 = await workerCpu();
  const c0 = cpuMs();
  const t0 = performance.now();
  let bytes = 0;
  for (let i = 0; i < SCRAPES; i += 1) bytes = Buffer.byteLength((await stack.metrics.render()).text);
  const wallMs = (performance.now() - t0) / SCRAPES;
  const nodeMs = (cpuMs() - c0) / SCRAPES;
  // The workerCpu() reads themselves are two requests of the same kind as the scrape's CPU read.
  const workerMs = ((await workerCpu()) - w0) / SCRAPES;
  const share = (ms: number) => `${((ms / (SCRAPE_S * 1000)) * 100).toFixed(3)}% of a core`;
  log(`scrape    node process: ${nodeMs.toFixed(2)} ms CPU per scrape (${wallMs.toFixed(1)} ms wall, ${(bytes / 1024).toFixed(1)} KiB) = ${share(nodeMs)} at one scrape every ${SCRAPE_S} s`);
  log(
    `          mediasoup worker: ${workerMs.toFixed(2)} ms CPU per scrape (${Math.min(CONSUMERS, 200)} consumers' stats) = ${share(workerMs)} = ` +
      `${Math.round(workerMs / 1000 / SCRAPE_S / (PACKET_CPU_US / 1e6))} pkt/s of forwarding at ${PACKET_CPU_US} µs/pkt (BENCH_PACKET_CPU_US, sfu-fanout's plain RTP)`,
  );
  const restShare = (perRequestUs * 1000 + (nodeMs * 1000) / SCRAPE_S) / (ROOM_CREATE_CPU_US * 1000);
  log(`RESULT    a node creating 1,000 rooms/s: metrics take ${(restShare * 100).toFixed(2)}% of its CPU (middleware + a scrape every ${SCRAPE_S} s) (target < 5%: ${restShare < 0.05 ? 'PASS' : 'MISS'})`);
  const workerShare = workerMs / (SCRAPE_S * 1000);
  log(`RESULT    a worker forwarding on a whole core: the scrapes take ${(workerShare * 100).toFixed(3)}% of it, so pkt/s per core ×${(1 - workerShare).toFixed(4)} (target ≥ 0.95: ${workerShare < 0.05 ? 'PASS' : 'MISS'})`);
  router.close();
}

await runBench({
  main: benchMain,
  async cleanup() {
    await running.stack?.stop();
    running.stack = undefined;
    if (running.dataDir) rmSync(running.dataDir, { recursive: true, force: true });
    running.dataDir = undefined;
  },
  cleanupSync() {},
  stopping: 'the loopback node',
});
