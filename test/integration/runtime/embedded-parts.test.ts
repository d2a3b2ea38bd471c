import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import net from 'node:net';
import type { Redis } from 'ioredis';
import { connectRedis, RedisUnreachableError } from '../../../src/runtime/redis.js';
import { ObjectStore } from '../../../storage/object-store.js';

describe('embedded Redis (Debian redis-server)', () => {
  let redis: Redis;
  beforeAll(async () => {
    redis = await connectRedis(inject('redisUrl'));
  });
  afterAll(() => redis.quit());

  it('answers and persists with AOF', async () => {
    const key = `test:${randomUUID()}`;
    await redis.set(key, 'v');
    expect(await redis.get(key)).toBe('v');
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await redis.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
  });

  it('requires its generated password (issue 17: Redis holds the token signing keys)', async () => {
    const url = new URL(inject('redisUrl'));
    expect(url.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    // A client without the password, speaking RESP by hand: every command is refused.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(url.port), url.hostname, () => socket.write('GET lc:tokenkeys:ed25519:current\r\n'));
      socket.once('data', (d) => (resolve(d.toString()), socket.destroy()));
      socket.once('error', reject);
    });
    expect(answer).toMatch(/^-NOAUTH/);
  });

  it('reports an unreachable URL as one clear error', async () => {
    await expect(connectRedis('redis://127.0.0.1:1')).rejects.toBeInstanceOf(RedisUnreachableError);
  });
});

describe('embedded S3 server over HTTP', () => {
  const s3 = inject('s3');
  const store = new ObjectStore({ ...s3, bucket: `t-${randomUUID().slice(0, 8)}`, region: 'us-east-1' });

  beforeAll(() => store.ensureBucket());

  it('stores objects with their content type and cache headers', async () => {
    const body = Buffer.from('#EXTM3U\n');
    await store.put('hls/r_x/720p/index.m3u8', body, { contentType: 'application/vnd.apple.mpegurl', cacheControl: 'max-age=1' });
    expect(await store.get('hls/r_x/720p/index.m3u8')).toEqual(body);
    expect(await store.stat('hls/r_x/720p/index.m3u8')).toEqual({
      size: body.length,
      contentType: 'application/vnd.apple.mpegurl',
      cacheControl: 'max-age=1',
    });
    expect(await store.list('hls/r_x/')).toEqual(['hls/r_x/720p/index.m3u8']);
    await store.remove('hls/r_x/720p/index.m3u8');
    expect(await store.list('hls/r_x/')).toEqual([]);
  });

  it('stores a 6 MB object in one request (no multipart)', async () => {
    const big = Buffer.alloc(6 * 1024 * 1024, 7);
    await store.put('big.bin', big, { contentType: 'application/octet-stream' });
    expect((await store.stat('big.bin')).size).toBe(big.length);
  });

  it('lets nodes starting together create the same bucket', async () => {
    const bucket = `t-race-${randomUUID().slice(0, 8)}`;
    const nodes = Array.from({ length: 5 }, () => new ObjectStore({ ...s3, bucket, region: 'us-east-1' }));
    await Promise.all(nodes.map((n) => n.ensureBucket()));
    await nodes[0]!.check();
  });

  it('check() fails for a missing bucket', async () => {
    const other = new ObjectStore({ ...s3, bucket: 'does-not-exist-bucket', region: 'us-east-1' });
    await expect(other.check()).rejects.toThrow(/does not exist/);
  });
});
