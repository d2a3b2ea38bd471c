// Expiry of a live playlist's objects against the real embedded S3 and Redis: a long live run
// through the real HlsPublisher leaves only its window (plus the RFC's margin) in storage; the
// deletions are delayed BullMQ jobs that outlive the process that planned them (its queue closes
// before they are due, another process' worker carries them out) and go as multi-object DELETEs;
// a recorded rendition keeps every segment its VOD playlist needs, and nothing listed is deleted.
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../bench/lib/wait.js';
import { createLogger } from '../../../common/logger.js';
import { DEFAULT_WINDOW_SEGMENTS } from '../../../pipeline/llhls/media-playlist.js';
import { ExpiryQueue } from '../../../pipeline/publish/expiry-queue.js';
import { MediaCache } from '../../../pipeline/publish/media-cache.js';
import { namedKeys } from '../../../pipeline/publish/playlist-uris.js';
import type { ObjectStore } from '../../../storage/object-store.js';
import { freshRedisDb } from '../../helpers/test-stack.js';
import { testStore } from './origin-harness.js';
import { SyntheticStream } from './synthetic-stream.js';

const roomId = `r_expiry-${Date.now()}`;
const SEGMENTS = 40;
const logger = createLogger('silent');
let store: ObjectStore;
let redisUrl: string;
let redis: Redis;
const deletes: number[] = [];
const queues: ExpiryQueue[] = [];

beforeAll(async () => {
  store = await testStore();
  redisUrl = await freshRedisDb();
  redis = new Redis(redisUrl);
});

afterAll(async () => {
  await Promise.all(queues.map((q) => q.close()));
  await redis?.quit();
});

const openQueue = () => {
  const counting = { removeMany: (keys: readonly string[]) => (deletes.push(keys.length), store.removeMany(keys)) };
  const queue = new ExpiryQueue({ connection: { url: redisUrl, maxRetriesPerRequest: null }, store: counting, logger });
  queues.push(queue);
  return queue;
};

const names = async (rendition: string) => (await store.list(`hls/${roomId}/${rendition}/`)).map((k) => k.slice(k.lastIndexOf('/') + 1));
const range = (prefix: string, from: number, to: number) => Array.from({ length: to - from }, (_v, i) => `${prefix}${from + i}.m4s`);

describe('live objects behind the window', () => {
  it('are deleted in batches by whichever process is up when they are due; recorded segments and listed objects stay', async () => {
    const planner = openQueue();
    planner.startWorker();
    const cache = new MediaCache();
    const live = await SyntheticStream.start({ roomId, rendition: 'v1', store, redis, cache, expiry: planner });
    const recorded = await SyntheticStream.start({ roomId, rendition: 'v1rec', store, redis, cache, expiry: planner, keepSegments: true });
    for (let i = 0; i < SEGMENTS * 5; i++) await Promise.all([live.publishPart(), recorded.publishPart()]);
    // The run ends: what is due but not yet a whole batch is scheduled too.
    await Promise.all([live.publisher.settle(1000), recorded.publisher.settle(1000)]);
    const listed = live.playlist.mediaSequence;
    expect(listed).toBe(SEGMENTS - DEFAULT_WINDOW_SEGMENTS);
    expect(await names('v1')).toContain('seg0.m4s');

    // The process that planned it goes away before anything is due; the deletions wait in Redis.
    await planner.close();
    const waiting = new Queue('hls-expiry', { connection: { url: redisUrl } });
    expect((await waiting.getJobCounts('delayed')).delayed).toBe(9);
    await waiting.close();
    const other = openQueue();
    other.startWorker();

    // Due one window (+ a segment) after they left the playlist: ~13 s here.
    const expired = [...range('seg', 0, listed), ...range('part', 0, listed * 5)];
    await waitFor(async () => {
      const left = new Set(await names('v1'));
      return expired.every((n) => !left.has(n));
    }, { timeoutMs: 40_000, intervalMs: 500, what: 'the expired objects to be deleted' });

    const left = await names('v1');
    expect(left.sort()).toEqual(['index.m3u8', 'init.mp4', ...range('seg', listed, SEGMENTS), ...range('part', listed * 5, SEGMENTS * 5)].sort());
    // Everything the playlist names is still there.
    const stored = new Set(await store.list(`hls/${roomId}/v1/`));
    for (const key of namedKeys(`hls/${roomId}/v1/index.m3u8`, live.playlist.render())) expect(stored.has(key), key).toBe(true);
    // The recorded rendition: every segment, only the live edge's parts.
    await waitFor(async () => !(await names('v1rec')).includes('part0.m4s'), { timeoutMs: 10_000, what: 'the recorded rendition’s parts to go' });
    const recordedLeft = await names('v1rec');
    for (const seg of range('seg', 0, SEGMENTS)) expect(recordedLeft).toContain(seg);
    expect(recordedLeft.filter((n) => n.startsWith('part')).sort()).toEqual(range('part', listed * 5, SEGMENTS * 5).sort());
    // Batches of 10 segments' worth, one multi-object DELETE each: 28 segments' segments (live rendition)
    // and parts (both) in 3 + 3 + 3 requests, not one per object.
    expect(deletes.length).toBe(9);
    expect(deletes.reduce((n, k) => n + k, 0)).toBe(listed * 5 * 2 + listed);
  }, 60_000);
});
