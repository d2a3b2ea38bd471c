// The rooms-create bench's server process, forked by bench/rooms-create.ts: the LevelChat stack and
// the bare baseline app in one node process and nothing else, so no load generator shares an event
// loop with the server it measures. Through the stack it owns redis-server, the S3 server and the
// mediasoup worker, as `npm start` would. It serves the driver's calls (./protocol.ts) until told
// to stop, or until the driver goes away.
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import express from 'express';
import type { Redis } from 'ioredis';
import type { Stack as LevelChatStack } from '../../src/runtime/stack.js';
import { serveCalls } from '../lib/ipc-rpc.js';
import { loopbackNodeStarter } from '../lib/loopback-node.js';
import { SERVER_ENV, type GcPauses, type MemoryStats, type PhaseStats, type ServerInfo, type ServerRequest } from './protocol.js';

// Ctrl-C reaches the whole process group; the driver decides when we stop.
process.on('SIGINT', () => {});

/** node's gc(), there because the driver forks us with --expose-gc: memory is read after a full collection. */
const gc = (globalThis as { gc?: () => void }).gc;

let stack: LevelChatStack | undefined;
let baselineRedis: Redis | undefined;
let baseline: http.Server | undefined;

/** The measured phase in progress: where its CPU, event-loop and GC counts started. */
let phase:
  | { cpu: NodeJS.CpuUsage; elu: ReturnType<typeof performance.eventLoopUtilization>; gc: GcPauses; profiler?: ProfilerHandle; profile?: string }
  | undefined;

async function start(): Promise<ServerInfo> {
  const startNode = await loopbackNodeStarter();
  const { connectRedis } = await import('../../src/runtime/redis.js');

  const t0 = performance.now();
  stack = await startNode({
    dataDir: process.env[SERVER_ENV.dataDir]!,
    apiKey: process.env[SERVER_ENV.apiKey]!,
    workers: '1',
    // The bench measures the request path at 1,000 req/s from one key, above the default limit.
    env: { LEVELCHAT_RATE_LIMIT_RPS: '1000000', LEVELCHAT_RATE_LIMIT_BURST: '1000000' },
  });
  const redisUrl = credentialedUrl(stack.redis);
  baselineRedis = await connectRedis(redisUrl, 'bench-baseline');
  baseline = await startBaseline(baselineRedis);

  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (phase) addPause(phase.gc, entry.duration);
  }).observe({ entryTypes: ['gc'] });

  const { port } = baseline.address() as AddressInfo;
  return {
    pid: process.pid,
    levelchatUrl: stack.summary.url,
    baselineUrl: `http://127.0.0.1:${port}`,
    redisUrl,
    workers: stack.summary.workers,
    startupMs: performance.now() - t0,
  };
}

async function handle(request: ServerRequest): Promise<unknown> {
  switch (request.type) {
    case 'phase-start': {
      const profiler = request.profile ? await startProfiler() : undefined;
      phase = { cpu: process.cpuUsage(), elu: performance.eventLoopUtilization(), gc: { count: 0, totalMs: 0, maxMs: 0 }, profiler, profile: request.profile };
      return undefined;
    }
    case 'phase-end': {
      if (!phase) throw new Error('no phase started');
      const cpu = process.cpuUsage(phase.cpu);
      const elu = performance.eventLoopUtilization(phase.elu).utilization;
      const stats: PhaseStats = { cpuUserUs: cpu.user, cpuSystemUs: cpu.system, elu, gc: phase.gc };
      if (phase.profiler && phase.profile) {
        writeFileSync(phase.profile, JSON.stringify(await phase.profiler.stop()));
        stats.profile = phase.profile;
      }
      phase = undefined;
      return stats;
    }
    case 'memory': {
      // Twice: what one collection only unlinks (weak references, finalizers) the next one frees.
      if (gc) {
        gc();
        gc();
      }
      const m = process.memoryUsage();
      return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, gcForced: Boolean(gc) } satisfies MemoryStats;
    }
  }
}

async function stop(): Promise<void> {
  if (baseline) await closeServer(baseline);
  if (baselineRedis) await baselineRedis.quit().catch(() => baselineRedis?.disconnect());
  if (stack) await stack.stop();
}

/**
 * The URL of the Redis server `client` is connected to, credentials included: the stack's summary
 * has it redacted (the embedded redis-server requires a password), and the baseline and the driver
 * need to log in to the same server.
 */
function credentialedUrl(client: Redis): string {
  const { host, port, username, password, db } = client.options;
  const url = new URL(`redis://${host}:${port}${db ? `/${db}` : ''}`);
  if (username) url.username = username;
  if (password) url.password = password;
  return url.href;
}

function addPause(pauses: GcPauses, ms: number): void {
  pauses.count += 1;
  pauses.totalMs += ms;
  pauses.maxMs = Math.max(pauses.maxMs, ms);
}

/**
 * The bare baseline: express.json() and exactly one Redis SET per request, on Node's own request
 * and response classes unless BENCH_BASELINE_HTTP_CLASSES=1.
 */
async function startBaseline(redis: Redis): Promise<http.Server> {
  const app = express();
  let counter = 0;
  app.post('/v1/rooms', express.json(), async (req, res) => {
    counter += 1;
    await redis.set(`bench:baseline:${counter}`, JSON.stringify(req.body));
    res.status(201).json({ id: `b_${counter}`, created: true });
  });
  const { expressHttpClasses } = await import('../../src/api/express-http-classes.js');
  const options = process.env.BENCH_BASELINE_HTTP_CLASSES === '1' ? expressHttpClasses(app) : {};
  return new Promise((resolve, reject) => {
    const server = http.createServer(options, app);
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

interface ProfilerHandle {
  stop(): Promise<unknown>;
}

async function startProfiler(): Promise<ProfilerHandle> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      return profile;
    },
  };
}

await serveCalls<ServerRequest>({ start, handle, stop });
