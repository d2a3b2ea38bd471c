// withHlsFastPath answers exactly as the express routes do: the same requests to an origin with it
// and to one without get the same status, headers (names, case, order) and body.
import http from 'node:http';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MediaCache } from '../../../pipeline/publish/media-cache.js';
import { startOrigin, testStore, type OriginHarness } from './origin-harness.js';
import { SyntheticStream } from './synthetic-stream.js';

const roomId = `r_fast-path-${Date.now()}`;
let fast: OriginHarness;
let express: OriginHarness;
let redis: Redis;
let stream: SyntheticStream;

interface Answer {
  status: number;
  headers: string[];
  body: string;
}

/** The raw answer, without the headers node adds per connection and time. */
function request(origin: OriginHarness, method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${origin.url}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = res.rawHeaders;
        const kept = raw.flatMap((name, i) => (i % 2 === 0 && !['date', 'connection', 'keep-alive'].includes(name.toLowerCase()) ? [`${name}: ${raw[i + 1]}`] : []));
        resolve({ status: res.statusCode ?? 0, headers: kept, body: Buffer.concat(chunks).toString('latin1') });
      });
    });
    req.on('error', reject).end();
  });
}

beforeAll(async () => {
  const store = await testStore();
  fast = await startOrigin({ store });
  express = await startOrigin({ store, fastPath: false });
  redis = new Redis(inject('redisUrl'));
  stream = await SyntheticStream.start({ roomId, store, redis, cache: new MediaCache() });
  for (let i = 0; i < 8 * 5 + 2; i++) await stream.publishPart();
  await stream.publisher.publishMaster(`#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000000\n${stream.rendition}/index.m3u8\n`, [stream.rendition]);
});

afterAll(async () => {
  await fast?.stop();
  await express?.stop();
  await redis?.quit();
});

describe('the origin fast path', () => {
  const cases: [string, string, Record<string, string>?][] = [
    ['GET', `/hls/${roomId}/master.m3u8`],
    ['GET', 'PLAYLIST'],
    ['GET', 'PLAYLIST?_HLS_skip=YES'],
    ['GET', 'PLAYLIST?_HLS_msn=8&_HLS_part=1&_HLS_skip=YES'],
    ['GET', 'PLAYLIST?_HLS_msn=8&_HLS_part=0&_HLS_msn=8'],
    ['GET', 'PLAYLIST?_HLS_msn=99'],
    ['HEAD', 'PLAYLIST'],
    ['GET', 'FILE/init.mp4'],
    ['GET', 'FILE/part40.m4s'],
    ['GET', 'FILE/seg3.m4s'],
    ['HEAD', 'FILE/part41.m4s'],
    ['GET', 'FILE/seg200.m4s'],
    ['GET', 'FILE/part40.m4s', { 'If-None-Match': '*' }],
    ['GET', 'PLAYLIST', { 'If-None-Match': '*' }],
    ['GET', 'FILE/INDEX.M3U8'],
    ['GET', 'FILE/index.m3u8/'],
    ['GET', 'FILE/part40.m4s?token=abc'],
    ['GET', `/hls/r_nobody-${Date.now()}/master.m3u8`],
    ['GET', `/hls/${roomId}/v9/index.m3u8`],
    ['POST', 'PLAYLIST'],
  ];

  it.each(cases)('answers %s %s as express does', async (method, template, headers) => {
    const path = template.replace('PLAYLIST', stream.playlistPath()).replace('FILE/', stream.path(''));
    const [viaFastPath, viaExpress] = await Promise.all([request(fast, method, path, headers), request(express, method, path, headers)]);
    expect(viaFastPath).toEqual(viaExpress);
  });
});
