// The rooms-create bench's last phase: what idle rooms cost. It creates rooms through the API and
// compares the server process's memory (after a forced GC) and Redis's before and after.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { mib } from '../lib/format.js';
import { log } from '../lib/log.js';
import { roomBody } from './load.js';
import type { MemoryStats, ServerInfo, ServerProcess } from './protocol.js';

/** Creates `rooms` rooms on LevelChat, `concurrency` requests at a time, and prints the memory table. */
export async function measureIdleRooms(
  server: ServerProcess,
  redis: Redis,
  info: ServerInfo,
  apiKey: string,
  rooms: number,
  concurrency: number,
): Promise<void> {
  log(`memory    creating ${rooms} idle rooms through the API (${concurrency} concurrent requests)`);
  const mem0 = await server.call<MemoryStats>({ type: 'memory' });
  const red0 = await redisMemory(redis);
  const made = await createRooms(info.levelchatUrl, apiKey, rooms, concurrency);
  const mem1 = await server.call<MemoryStats>({ type: 'memory' });
  const red1 = await redisMemory(redis);
  const n = Math.max(1, made.created);
  log(`  created ${made.created} rooms (${made.failed} failed) in ${(made.ms / 1000).toFixed(1)} s (${((made.created / made.ms) * 1000).toFixed(0)} rooms/s)`);
  log(`                             before          after          delta      per room${mem0.gcForced ? '   (node: after a forced GC)' : ''}`);
  const row = (name: string, a: number, b: number) =>
    log(`  ${name.padEnd(26)} ${mib(a, 1).padStart(10)} ${mib(b, 1).padStart(14)} ${mib(b - a, 1).padStart(14)} ${`${((b - a) / n).toFixed(0)} B`.padStart(12)}`);
  row(`node RSS (pid ${info.pid})`, mem0.rss, mem1.rss);
  row('node heapUsed', mem0.heapUsed, mem1.heapUsed);
  row('redis used_memory', red0.used, red1.used);
  row('redis used_memory_dataset', red0.dataset, red1.dataset);
  log(`  redis keys ${red0.keys} → ${red1.keys} (+${red1.keys - red0.keys}, ${((red1.keys - red0.keys) / n).toFixed(2)} per room)`);
  if (made.sampleId) {
    const usage = async (key: string) => Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) || 0;
    const doc = await usage(`lc:room:${made.sampleId}`);
    const stream = await usage(`lc:room:${made.sampleId}:events`);
    log(`  one room's keys (MEMORY USAGE): lc:room:<id> ${doc} B, lc:room:<id>:events (1-entry stream) ${stream} B, plus its entry in the owner's sorted-set index`);
  }
}

async function createRooms(url: string, apiKey: string, total: number, concurrency: number): Promise<{ created: number; failed: number; ms: number; sampleId: string | undefined }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const { hostname, port } = new URL(url);
  let issued = 0;
  let created = 0;
  let failed = 0;
  let sampleId: string | undefined;
  const t0 = performance.now();
  const post = (body: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(
        {
          agent,
          hostname,
          port,
          method: 'POST',
          path: '/v1/rooms',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${apiKey}` },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const worker = async () => {
    while (issued < total) {
      issued += 1;
      const { status, text } = await post(roomBody());
      if (status === 201) {
        created += 1;
        sampleId ??= (JSON.parse(text) as { id: string }).id;
      } else {
        failed += 1;
        if (failed <= 3) log(`  unexpected ${status}: ${text.slice(0, 200)}`);
      }
      const done = created + failed;
      if (done % 1000 === 0) {
        const s = (performance.now() - t0) / 1000;
        log(`  [rooms] ${String(done).padStart(6)}/${total}  ${(done / s).toFixed(0)} rooms/s  failed ${failed}  (${s.toFixed(1)} s)`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  } finally {
    agent.destroy();
  }
  return { created, failed, ms: performance.now() - t0, sampleId };
}

async function redisMemory(redis: Redis): Promise<{ used: number; dataset: number; keys: number }> {
  const info = await redis.info('memory');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return { used: field('used_memory'), dataset: field('used_memory_dataset'), keys: await redis.dbsize() };
}
