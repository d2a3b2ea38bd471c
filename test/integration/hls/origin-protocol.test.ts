// The origin's protocol, driven by a publisher fed hand-made Segmenter actions (no ffmpeg), with two
// origins as two processes would have them: A shares the publisher's cache, B has its own (empty).
import http from 'node:http';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parsePlaylist } from '../../unit/pipeline/m3u8.js';
import { startOrigin, testStore, type OriginHarness } from './origin-harness.js';
import { SyntheticStream } from './synthetic-stream.js';

const roomId = `r_origin-${Date.now()}`;
const rendition = 'v1';
let a: OriginHarness;
let b: OriginHarness;
let redis: Redis;
let stream: SyntheticStream;

const playlistPath = (query = '') => `/hls/${roomId}/${rendition}/index.m3u8${query}`;

/** GET with the path exactly as written (fetch would normalise `..`). */
function rawGet(origin: OriginHarness, path: string): Promise<{ status: number; type: string | undefined; cacheControl: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${origin.url}${path}`, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], cacheControl: res.headers['cache-control'], body }));
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  const store = await testStore();
  a = await startOrigin({ store });
  b = await startOrigin({ store });
  redis = new Redis(inject('redisUrl'));
  stream = await SyntheticStream.start({ roomId, rendition, store, redis, cache: a.cache });
  // Eight closed segments: enough for a delta update to skip some (CAN-SKIP-UNTIL is six target durations).
  for (let i = 0; i < 8 * 5 + 2; i++) await stream.publishPart();
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await redis?.quit();
});

describe('LL-HLS origin', () => {
  it('serves the same playlist from every origin, and a delta update on _HLS_skip=YES', async () => {
    const [fromA, fromB] = await Promise.all([a, b].map(async (o) => (await fetch(`${o.url}${playlistPath()}`)).text()));
    expect(fromB).toBe(fromA);
    const full = parsePlaylist(fromB!);
    const delta = parsePlaylist(await (await fetch(`${b.url}${playlistPath('?_HLS_skip=YES')}`)).text());
    expect(full.skipped).toBe(0);
    expect(delta.skipped).toBeGreaterThan(0);
    expect(delta.segments.length + delta.skipped).toBe(full.segments.length);
    expect(delta.segments.at(-1)).toEqual(full.segments.at(-1));
  });

  it('holds a blocking request until the part is published, on an origin in "another process"', async () => {
    const { msn, index } = stream.upcoming;
    const name = stream.upcomingPart;
    const asked = Date.now();
    const pending = fetch(`${b.url}${playlistPath(`?_HLS_msn=${msn}&_HLS_part=${index}`)}`).then(async (r) => ({ r, text: await r.text(), at: Date.now() }));
    await new Promise((r) => setTimeout(r, 300));
    const publishedAt = Date.now();
    await stream.publishPart();
    const { r, text, at } = await pending;
    expect(r.status).toBe(200);
    expect(at - asked).toBeGreaterThanOrEqual(300);
    expect(at - publishedAt).toBeLessThan(100);
    expect(text).toContain(`URI="${name}"`);
    // B never saw the bytes: it reads them from storage.
    const part = await fetch(`${b.url}${stream.path(name)}`);
    expect(part.status).toBe(200);
    expect(part.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await part.arrayBuffer()).toString()).toBe(`bytes of ${name}`);
  });

  it('holds a request for the preload-hinted part until it exists', async () => {
    const uri = stream.upcomingPart;
    const playlist = parsePlaylist(await (await fetch(`${b.url}${playlistPath()}`)).text());
    expect(playlist.preloadHint?.URI).toBe(uri);
    const pending = fetch(`${b.url}${stream.path(uri)}`);
    await new Promise((r) => setTimeout(r, 200));
    await stream.publishPart();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('resolves the hinted part when a segment boundary comes first (parts are numbered across segments)', async () => {
    while (stream.upcoming.index !== 4) await stream.publishPart();
    await stream.publishPart(); // the segment's last part: the segment closes with it
    const hinted = parsePlaylist(await (await fetch(`${b.url}${playlistPath()}`)).text()).preloadHint!.URI!;
    expect(hinted).toBe(stream.upcomingPart);
    expect(stream.upcoming.index).toBe(0); // the next part opens the next segment
    const pending = fetch(`${b.url}${stream.path(hinted)}`);
    await new Promise((r) => setTimeout(r, 200));
    await stream.publishPart();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).toString()).toBe(`bytes of ${hinted}`);
    // A part further ahead than the Advance Part Limit is not held.
    const far = await fetch(`${b.url}${stream.path(`part${stream.upcoming.number + 50}.m4s`)}`);
    expect(far.status).toBe(404);
  });

  it('answers 503 when a blocked part does not come within three target durations', async () => {
    const started = Date.now();
    const res = await fetch(`${b.url}${playlistPath(`?_HLS_msn=${stream.upcoming.msn}&_HLS_part=${stream.upcoming.index}`)}`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(((await res.json()) as { code: string }).code).toBe('blocking_timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
  });

  it.each([
    ['a bad room id', '/hls/bad%20room/master.m3u8', 400, 'invalid_room_id'],
    ['a room id with ..', '/hls/r_a..b/master.m3u8', 400, 'invalid_room_id'],
    ['an unknown room', '/hls/r_nobody-here/master.m3u8', 404, 'stream_not_found'],
    ['.. in a file name', `/hls/${roomId}/${rendition}/..%2F..%2Fmaster.m3u8`, 400, 'invalid_file_name'],
    ['a raw ../ path', `/hls/${roomId}/../../etc/passwd`, 404, 'not_found'],
    ['an unexpected file', `/hls/${roomId}/${rendition}/seg1.m4s.bak`, 400, 'invalid_file_name'],
    ['a bad rendition', `/hls/${roomId}/V..1/index.m3u8`, 400, 'invalid_rendition'],
    ['an unknown rendition', `/hls/${roomId}/v2/index.m3u8`, 404, 'rendition_not_found'],
    ['a missing segment', `/hls/${roomId}/${rendition}/seg0000.m4s`, 400, 'invalid_file_name'],
    ['an object that never existed', `/hls/${roomId}/v2/seg1.m4s`, 404, 'object_not_found'],
    ['an msn far in the future', playlistPath('?_HLS_msn=1000'), 400, 'too_far'],
    ['a part far ahead', playlistPath('?_HLS_msn=NEXT&_HLS_part=50'), 400, 'too_far'],
    ['_HLS_part without _HLS_msn', playlistPath('?_HLS_part=1'), 400, 'invalid_delivery_directive'],
    ['a non-numeric msn', playlistPath('?_HLS_msn=1e3'), 400, 'invalid_delivery_directive'],
    ['a repeated msn', playlistPath('?_HLS_msn=1&_HLS_msn=2'), 400, 'invalid_delivery_directive'],
  ])('rejects %s with problem+json', async (_name, path, status, code) => {
    const res = await rawGet(b, path.replace('NEXT', String(stream.upcoming.msn))); // NEXT: the open segment, known only now
    expect(res.status, res.body).toBe(status);
    expect(res.type).toMatch(/^application\/problem\+json/);
    if (code !== 'not_found') expect(res.cacheControl).toBe('no-store'); // no cache keeps a failure
    expect((JSON.parse(res.body) as { code: string }).code).toBe(code);
  });
});
