// A DVR window through the real publisher, Redis and origins: every origin serves the whole window,
// exactly the publisher's playlist, although updates carry the window's head only once per segment;
// segments behind the live edge come from storage.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hlsChannel, type HlsStateMessage } from '../../../pipeline/publish/playlist-state.js';
import { llhlsViolations } from '../../helpers/llhls-conformance.js';
import { parsePlaylist } from '../../unit/pipeline/m3u8.js';
import { startOrigin, testStore, type OriginHarness } from './origin-harness.js';
import { bytesOf, SyntheticStream } from './synthetic-stream.js';

const roomId = `r_dvr-${Date.now()}`;
const WINDOW = 60;
let shared: OriginHarness;
let late: OriginHarness;
let redis: Redis;
let subscriber: Redis;
let stream: SyntheticStream;
const messages: { bytes: number; head: boolean }[] = [];

beforeAll(async () => {
  const store = await testStore();
  shared = await startOrigin({ store });
  redis = new Redis(inject('redisUrl'));
  stream = await SyntheticStream.start({ roomId, store, redis, cache: shared.cache, windowSegments: WINDOW });
  // More than the window: the oldest segments have slid out.
  for (let i = 0; i < (WINDOW + 10) * 5 + 2; i++) await stream.publishPart();
  // An origin that starts following the room now (its own cache: every object from storage).
  late = await startOrigin({ store });
  subscriber = new Redis(inject('redisUrl'));
  await subscriber.subscribe(hlsChannel(subscriber, roomId));
  subscriber.on('message', (_channel: string, json: string) => {
    const message = JSON.parse(json) as HlsStateMessage;
    if (message.type === 'rendition') messages.push({ bytes: json.length, head: message.state.head.text !== undefined });
  });
}, 120_000);

afterAll(async () => {
  await shared?.stop();
  await late?.stop();
  await redis?.quit();
  subscriber?.disconnect();
});

const get = async (origin: OriginHarness, name: string) => {
  const res = await fetch(`${origin.url}${stream.path(name)}`);
  return { status: res.status, body: await res.text() };
};

describe('LL-HLS DVR window', () => {
  it('serves the whole window from every origin, exactly as the publisher renders it, at every update', async () => {
    for (let i = 0; i < 12; i++) {
      await stream.publishPart();
      const expected = stream.playlist.render();
      for (const origin of [shared, late]) {
        const { body } = await get(origin, `index.m3u8?_HLS_msn=${stream.playlist.lastMsn}&_HLS_part=${stream.playlist.lastPart}`);
        expect(body).toBe(expected);
      }
    }
    const full = parsePlaylist(stream.playlist.render());
    expect(full.segments).toHaveLength(WINDOW);
    expect(llhlsViolations(stream.playlist.render(), { targetDuration: 1, partTarget: 0.2, keyedSegments: true })).toEqual([]);
  });

  it('brings the head in one update per segment; the others carry only the live edge', () => {
    const withHead = messages.filter((m) => m.head);
    expect(withHead.length).toBeGreaterThanOrEqual(2);
    expect(withHead.length).toBeLessThanOrEqual(3); // 12 parts: two or three segment boundaries
    const largestWithout = Math.max(...messages.filter((m) => !m.head).map((m) => m.bytes));
    expect(largestWithout).toBeLessThan(stream.playlist.renderHead().length);
  });

  it('serves a segment far behind the live edge (from storage)', async () => {
    const oldest = Number(parsePlaylist(stream.playlist.render()).tags.get('EXT-X-MEDIA-SEQUENCE'));
    for (const origin of [shared, late]) expect(await get(origin, `seg${oldest}.m4s`)).toEqual({ status: 200, body: bytesOf(`seg${oldest}.m4s`).toString() });
  });
});
