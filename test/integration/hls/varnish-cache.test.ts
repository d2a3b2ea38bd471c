// The repository's LL-HLS cache tier (deploy/varnish/llhls.vcl, as docker-compose.yml runs it) with
// Debian's varnishd on loopback, in front of a real origin: viewers waiting for the same update are
// answered with one origin request as soon as it arrives, and what is cached is what the origin's
// headers say.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { findVarnishd, startVarnishCache } from '../../../bench/lib/llhls-varnish.js';
import type { SpawnedServer } from '../../../bench/lib/spawned-server.js';
import { freePort } from '../../../common/free-port.js';
import { MediaCache } from '../../../pipeline/publish/media-cache.js';
import { parsePlaylist } from '../../unit/pipeline/m3u8.js';
import { startOrigin, testStore, type OriginHarness } from './origin-harness.js';
import { bytesOf, SyntheticStream } from './synthetic-stream.js';

const roomId = `r_cache-${Date.now()}`;
const VIEWERS = 40;
let origin: OriginHarness;
let varnish: SpawnedServer;
/** A second cache whose first origin on every room's ring may be a closed port. */
let failover: SpawnedServer;
const dirs = [mkdtempSync(path.join(os.tmpdir(), 'levelchat-varnish-')), mkdtempSync(path.join(os.tmpdir(), 'levelchat-varnish-'))];
let redis: Redis;
let stream: SyntheticStream;
/** Every URL the origin was asked for. */
const asked: string[] = [];
const askedFor = (suffix: string) => asked.filter((url) => url.endsWith(suffix)).length;
const via = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${varnish.port}${path}`, init);

beforeAll(async () => {
  const bin = findVarnishd();
  if (!bin) throw new Error('varnishd is missing: npm test installs varnish (scripts/setup/debian-packages.mjs)');
  const store = await testStore();
  const cache = new MediaCache();
  origin = await startOrigin({ store, cache, onRequest: (url) => asked.push(url) });
  redis = new Redis(inject('redisUrl'));
  stream = await SyntheticStream.start({ roomId, store, redis, cache });
  for (let i = 0; i < 7; i++) await stream.publishPart();
  const live = new URL(origin.url).host;
  [varnish, failover] = await Promise.all([
    startVarnishCache(bin, dirs[0]!, await freePort(), [live]),
    startVarnishCache(bin, dirs[1]!, await freePort(), [`127.0.0.1:${await freePort()}`, live]),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([varnish?.stop(), failover?.stop()]);
  await origin?.stop();
  await redis?.quit();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the LL-HLS cache tier (Varnish)', () => {
  it(`answers ${VIEWERS} viewers blocked on the same playlist update with one origin request, as soon as it arrives`, async () => {
    const { msn, index } = stream.upcoming;
    const query = `?_HLS_msn=${msn}&_HLS_part=${index}&_HLS_skip=YES`;
    const pending = Array.from({ length: VIEWERS }, () => via(stream.playlistPath(query)).then(async (r) => ({ r, text: await r.text(), at: performance.now() })));
    await new Promise((r) => setTimeout(r, 300));
    await stream.publishPart();
    const published = performance.now();
    const answers = await Promise.all(pending);
    for (const { r, text } of answers) {
      expect(r.status).toBe(200);
      expect(text).toBe(answers[0]!.text);
      expect(text).toContain(`URI="part${stream.upcoming.number - 1}.m4s"`);
      expect(r.headers.get('cache-control')).toBe('public, max-age=3');
    }
    expect(askedFor(query)).toBe(1);
    expect(answers.filter(({ r }) => r.headers.get('x-cache') === 'MISS')).toHaveLength(1);
    // Woken by the answer, not by a timer (nginx's proxy_cache_lock looked again every 500 ms): on an idle
    // box the last of them has it within ~20 ms; the bound leaves room for a busy test machine.
    expect(Math.max(...answers.map(({ at }) => at - published))).toBeLessThan(300);
    // Asked again later, with the directives in another order: the cached answer, still valid for it.
    const reordered = `?_HLS_skip=YES&_HLS_part=${index}&_HLS_msn=${msn}`;
    expect((await via(stream.playlistPath(reordered))).headers.get('x-cache')).toBe('HIT');
    expect((await via(stream.playlistPath(query), { headers: { cookie: 'session=a' } })).headers.get('x-cache')).toBe('HIT');
    expect(askedFor(query)).toBe(1);
  });

  it(`answers ${VIEWERS} viewers asking for the hinted part before it exists with one origin request, then keeps it`, async () => {
    const hinted = parsePlaylist(await (await via(stream.playlistPath())).text()).preloadHint!.URI!;
    expect(hinted).toBe(stream.upcomingPart);
    const pending = Array.from({ length: VIEWERS }, () => via(stream.path(hinted)).then(async (r) => ({ r, body: Buffer.from(await r.arrayBuffer()) })));
    await new Promise((r) => setTimeout(r, 300));
    await stream.publishPart();
    for (const { r, body } of await Promise.all(pending)) {
      expect(r.status).toBe(200);
      expect(body.equals(bytesOf(hinted))).toBe(true);
      expect(r.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
    expect(askedFor(`/${hinted}`)).toBe(1);
    expect((await via(stream.path(hinted))).headers.get('x-cache')).toBe('HIT');
    expect(askedFor(`/${hinted}`)).toBe(1);
  });

  it('shares a plain playlist for a tenth of a second, then asks again', async () => {
    const plain = stream.playlistPath();
    await new Promise((r) => setTimeout(r, 150));
    const before = askedFor(plain);
    const burst = await Promise.all(Array.from({ length: 10 }, () => via(plain)));
    for (const r of burst) {
      expect(r.status).toBe(200);
      expect(r.headers.get('cache-control')).toBe('public, max-age=0');
    }
    expect(askedFor(plain) - before).toBe(1);
    await new Promise((r) => setTimeout(r, 150));
    await stream.publishPart();
    const later = await via(plain);
    expect(await later.text()).toContain(`URI="part${stream.upcoming.number - 1}.m4s"`);
    expect(askedFor(plain) - before).toBe(2);
  });

  it('passes failures, signed requests and other paths through without keeping them', async () => {
    const tooFar = stream.playlistPath('?_HLS_msn=100000');
    for (let i = 0; i < 2; i++) {
      const r = await via(tooFar);
      expect(r.status).toBe(400);
      expect(r.headers.get('cache-control')).toBe('no-store');
    }
    expect(askedFor(tooFar)).toBe(2);
    const signed = stream.path('init.mp4?token=abc');
    for (let i = 0; i < 2; i++) expect((await via(signed)).status).toBe(200);
    expect(askedFor(signed)).toBe(2);
    expect((await via('/metrics')).status).toBe(404);
    expect(asked.some((url) => url.startsWith('/metrics'))).toBe(false);
  });

  it('asks the next origin on the ring when a room\'s first one does not answer', async () => {
    // Rooms the origin does not know: 404 from it, whichever origin the ring names first.
    for (let i = 0; i < 8; i++) {
      const r = await fetch(`http://127.0.0.1:${failover.port}/hls/r_unknown-${i}/v1/index.m3u8`);
      expect(r.status).toBe(404);
    }
    const r = await fetch(`http://127.0.0.1:${failover.port}${stream.path('init.mp4')}`);
    expect(r.status).toBe(200);
    expect(Buffer.from(await r.arrayBuffer()).equals(bytesOf('init.mp4'))).toBe(true);
  });
});
