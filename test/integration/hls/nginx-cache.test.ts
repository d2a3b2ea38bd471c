// The repository's LL-HLS cache tier (deploy/nginx/llhls-cache.conf.template, as docker-compose.yml
// runs it) with Debian's nginx on loopback, in front of a real origin: viewers waiting for the same
// update are answered with one origin request, and what is cached is what the origin's headers say.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { findNginx, startNginxCache, type NginxServer } from '../../../bench/lib/llhls-nginx.js';
import { freePort } from '../../../common/free-port.js';
import { MediaCache } from '../../../pipeline/publish/media-cache.js';
import { parsePlaylist } from '../../unit/pipeline/m3u8.js';
import { startOrigin, testStore, type OriginHarness } from './origin-harness.js';
import { bytesOf, SyntheticStream } from './synthetic-stream.js';

const roomId = `r_cache-${Date.now()}`;
const VIEWERS = 40;
let origin: OriginHarness;
let nginx: NginxServer;
const dir = mkdtempSync(path.join(os.tmpdir(), 'levelchat-nginx-'));
let redis: Redis;
let stream: SyntheticStream;
/** Every URL the origin was asked for. */
const asked: string[] = [];
const askedFor = (suffix: string) => asked.filter((url) => url.endsWith(suffix)).length;
const via = (path: string) => fetch(`http://127.0.0.1:${nginx.port}${path}`);

beforeAll(async () => {
  const bin = findNginx();
  if (!bin) throw new Error('nginx is missing: npm test installs nginx-light (scripts/setup/debian-packages.mjs)');
  const store = await testStore();
  const cache = new MediaCache();
  origin = await startOrigin({ store, cache, onRequest: (url) => asked.push(url) });
  redis = new Redis(inject('redisUrl'));
  stream = await SyntheticStream.start({ roomId, store, redis, cache });
  for (let i = 0; i < 7; i++) await stream.publishPart();
  nginx = await startNginxCache(bin, dir, await freePort(), [new URL(origin.url).host]);
});

afterAll(async () => {
  await nginx?.stop();
  await origin?.stop();
  await redis?.quit();
  rmSync(dir, { recursive: true, force: true });
});

describe('the LL-HLS cache tier (nginx)', () => {
  it(`answers ${VIEWERS} viewers blocked on the same playlist update with one origin request`, async () => {
    const { msn, index } = stream.upcoming;
    const query = `?_HLS_msn=${msn}&_HLS_part=${index}&_HLS_skip=YES`;
    const pending = Array.from({ length: VIEWERS }, () => via(stream.playlistPath(query)).then(async (r) => ({ r, text: await r.text() })));
    await new Promise((r) => setTimeout(r, 300));
    await stream.publishPart();
    const answers = await Promise.all(pending);
    for (const { r, text } of answers) {
      expect(r.status).toBe(200);
      expect(text).toBe(answers[0]!.text);
      expect(text).toContain(`URI="part${stream.upcoming.number - 1}.m4s"`);
      expect(r.headers.get('cache-control')).toBe('public, max-age=3');
    }
    expect(askedFor(query)).toBe(1);
    expect(answers.filter(({ r }) => r.headers.get('x-cache') === 'MISS')).toHaveLength(1);
    // Asked again later: the cached answer, still valid for that request.
    expect((await via(stream.playlistPath(query))).headers.get('x-cache')).toBe('HIT');
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

  it('passes plain playlists and failures through without keeping them', async () => {
    const plain = stream.playlistPath();
    const before = askedFor(plain);
    for (let i = 0; i < 3; i++) {
      const r = await via(plain);
      expect(r.status).toBe(200);
      expect(r.headers.get('cache-control')).toBe('public, max-age=0');
    }
    expect(askedFor(plain) - before).toBe(3);
    const tooFar = stream.playlistPath('?_HLS_msn=100000');
    for (let i = 0; i < 2; i++) {
      const r = await via(tooFar);
      expect(r.status).toBe(400);
      expect(r.headers.get('cache-control')).toBe('no-store');
    }
    expect(askedFor(tooFar)).toBe(2);
  });
});
