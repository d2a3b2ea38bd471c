// Objects an origin does not have in memory (the pipeline ran on another node) are read from
// storage once per key however many viewers ask at once, and kept; blocking requests woken by the
// same playlist state share one answer. Both through the fast path and through the express routes.
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { hlsKey, MEDIA_CONTENT_TYPE } from '../../../pipeline/publish/hls-objects.js';
import { MediaCache } from '../../../pipeline/publish/media-cache.js';
import { ObjectStore } from '../../../storage/object-store.js';
import { startOrigin, testStore, type OriginHarness } from './origin-harness.js';
import { bytesOf, SyntheticStream } from './synthetic-stream.js';
import { SECURITY_HEADERS } from '../../../src/api/app.js';

/** The origin's view of storage: counts reads per key, and can slow them down or fail them. */
class ScriptedStore extends ObjectStore {
  readonly reads = new Map<string, number>();
  delayMs = 0;
  failure: Error | undefined;

  override async getIfExists(key: string): Promise<Buffer | undefined> {
    this.reads.set(key, (this.reads.get(key) ?? 0) + 1);
    await sleep(this.delayMs);
    if (this.failure) throw this.failure;
    return super.getIfExists(key);
  }
}

const get = async (origin: OriginHarness, path: string) => {
  const res = await fetch(`${origin.url}${path}`);
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
};

describe.each([
  ['the fast path', true],
  ['the express routes', false],
])('an origin without the pipeline, through %s', (_name, fastPath) => {
  const roomId = `r_read-through-${fastPath ? 'fast' : 'express'}-${Date.now()}`;
  let writer: ObjectStore;
  let store: ScriptedStore;
  let origin: OriginHarness;
  let redis: Redis;
  let stream: SyntheticStream;

  beforeAll(async () => {
    writer = await testStore();
    store = new ScriptedStore({ ...inject('s3'), bucket: writer.bucket, region: 'us-east-1' });
    origin = await startOrigin({ store, fastPath });
    redis = new Redis(inject('redisUrl'));
    // The pipeline's cache is not the origin's: as on another node.
    stream = await SyntheticStream.start({ roomId, store: writer, redis, cache: new MediaCache() });
    // Eight closed segments: a delta update skips some of them.
    for (let i = 0; i < 8 * 5 + 2; i++) await stream.publishPart();
  });

  afterAll(async () => {
    await origin?.stop();
    await redis?.quit();
  });

  afterEach(() => {
    store.delayMs = 0;
    store.failure = undefined;
  });

  it('reads an object once for 50 concurrent requests, all answered with the same bytes, then from memory', async () => {
    const name = 'part3.m4s';
    store.delayMs = 50;
    const answers = await Promise.all(Array.from({ length: 50 }, () => get(origin, stream.path(name))));
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.body.equals(bytesOf(name))).toBe(true);
      expect(a.headers.get('content-type')).toBe(MEDIA_CONTENT_TYPE);
      expect(a.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
    expect(store.reads.get(hlsKey(roomId, stream.rendition, name))).toBe(1);
    expect((await get(origin, stream.path(name))).status).toBe(200);
    expect(store.reads.get(hlsKey(roomId, stream.rendition, name))).toBe(1);
  });

  it('gives a storage failure to every waiting request, and the next request reads again', async () => {
    const name = 'seg0.m4s';
    store.delayMs = 50;
    store.failure = new Error('S3 is down');
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(origin, stream.path(name))));
    for (const a of answers) {
      expect(a.status).toBe(503);
      expect(a.headers.get('retry-after')).toBe('1');
      expect(a.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect((JSON.parse(a.body.toString()) as { code: string }).code).toBe('storage_unavailable');
      // The storage's own error stays in the logs (a public endpoint must not describe the back end).
      expect(a.body.toString()).not.toContain('S3 is down');
    }
    expect(store.reads.get(hlsKey(roomId, stream.rendition, name))).toBe(1);
    store.failure = undefined;
    const after = await get(origin, stream.path(name));
    expect(after.status).toBe(200);
    expect(after.body.equals(bytesOf(name))).toBe(true);
    expect(store.reads.get(hlsKey(roomId, stream.rendition, name))).toBe(2);
  });

  it('does not remember a miss', async () => {
    const name = 'init7.mp4';
    expect((await get(origin, stream.path(name))).status).toBe(404);
    await writer.put(hlsKey(roomId, stream.rendition, name), bytesOf(name), { contentType: MEDIA_CONTENT_TYPE });
    expect((await get(origin, stream.path(name))).status).toBe(200);
  });

  it('holds 30 requests for the preload-hinted part, then answers them all from one read', async () => {
    const name = stream.upcomingPart;
    const pending = Array.from({ length: 30 }, () => get(origin, stream.path(name)));
    await sleep(200);
    await stream.publishPart();
    for (const a of await Promise.all(pending)) {
      expect(a.status).toBe(200);
      expect(a.body.equals(bytesOf(name))).toBe(true);
    }
    expect(store.reads.get(hlsKey(roomId, stream.rendition, name))).toBe(1);
  });

  it('answers blocking reloads woken by the same state with identical playlists and headers, per shape', async () => {
    const { msn, index } = stream.upcoming;
    const name = stream.upcomingPart;
    const ask = (skip: boolean) => get(origin, stream.playlistPath(`?_HLS_msn=${msn}&_HLS_part=${index}${skip ? '&_HLS_skip=YES' : ''}`));
    const pending = Array.from({ length: 40 }, (_, i) => ask(i % 2 === 1));
    await sleep(200);
    await stream.publishPart();
    const answers = await Promise.all(pending);
    for (const shape of [0, 1]) {
      const same = answers.filter((_, i) => i % 2 === shape);
      const [first] = same;
      expect(first!.body.toString()).toContain(`URI="${name}"`);
      for (const a of same) {
        expect(a.status).toBe(200);
        expect(a.body.equals(first!.body)).toBe(true);
        expect(a.headers.get('content-type')).toBe('application/vnd.apple.mpegurl; charset=utf-8');
        expect(a.headers.get('cache-control')).toBe('public, max-age=3');
        expect(a.headers.get('content-length')).toBe(String(first!.body.length));
        expect(a.headers.get('access-control-allow-origin')).toBe('*');
        for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(a.headers.get(name)).toBe(value);
      }
    }
    expect(answers[0]!.body.equals(answers[1]!.body)).toBe(false);
  });
});
