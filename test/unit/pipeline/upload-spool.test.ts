import { appendFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyOfUri, namedKeys, namedUris } from '../../../pipeline/publish/playlist-uris.js';
import { SpoolFullError, UploadSpool, type ObjectSink, type UploadSpoolOptions } from '../../../pipeline/publish/upload-spool.js';
import { EXPIRY_MARKS_FILE, expiryMarkLine, readExpiryMarks } from '../../../pipeline/publish/spool-file.js';
import { createLogger } from '../../../common/logger.js';
import type { PutOptions } from '../../../storage/object-store.js';
import { tempDir } from '../../helpers/temp-dir.js';

const MEDIA: PutOptions = { contentType: 'video/mp4', cacheControl: 'public, max-age=31536000, immutable' };
const PLAYLIST: PutOptions = { contentType: 'application/vnd.apple.mpegurl' };
const P = 'hls/r_x/v1/';

/** Storage that can be down, and remembers what it got in which order. */
class FakeStore implements ObjectSink {
  down = false;
  hang = false;
  readonly objects = new Map<string, Buffer>();
  readonly order: string[] = [];
  /** For each playlist PUT: the keys it names that were not stored yet. */
  readonly missingAtPlaylistPut: string[] = [];

  async put(key: string, body: Buffer): Promise<void> {
    await new Promise((r) => setImmediate(r));
    if (this.hang) return new Promise(() => {});
    if (this.down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    if (key.endsWith('.m3u8')) this.missingAtPlaylistPut.push(...namedKeys(key, body.toString()).filter((k) => !this.objects.has(k)));
    this.objects.set(key, body);
    this.order.push(key);
  }
}

async function openSpool(store: FakeStore, options: Partial<UploadSpoolOptions> = {}) {
  const dir = options.dir ?? tempDir('levelchat-spool-');
  const spool = await UploadSpool.open({ dir, store, logger: createLogger('silent'), minBackoffMs: 5, maxBackoffMs: 20, fsync: false, ...options });
  return { spool, dir };
}

const playlistNaming = (...uris: string[]) => `#EXTM3U\n#EXT-X-VERSION:9\n${uris.map((u) => (u.startsWith('part') ? `#EXT-X-PART:DURATION=0.2,URI="${u}"` : `#EXTINF:1,\n${u}`)).join('\n')}\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part9.9.m4s"\n`;

describe('playlist URIs', () => {
  it('names segments, parts, maps and variants, not hints or reports', () => {
    const text = [
      '#EXTM3U',
      '#EXT-X-MAP:URI="init.mp4"',
      '#EXT-X-PART:DURATION=0.2,INDEPENDENT=YES,URI="part0.0.m4s"',
      '#EXTINF:1.0,',
      'seg0.m4s',
      '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part1.1.m4s"',
      '#EXT-X-RENDITION-REPORT:URI="../v2/index.m3u8",LAST-MSN=1',
      '',
    ].join('\n');
    expect(namedUris(text)).toEqual(['init.mp4', 'part0.0.m4s', 'seg0.m4s']);
    expect(namedKeys('hls/r/v1/index.m3u8', text)).toEqual(['hls/r/v1/init.mp4', 'hls/r/v1/part0.0.m4s', 'hls/r/v1/seg0.m4s']);
    expect(namedKeys('hls/r/master.m3u8', '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv1/index.m3u8\n')).toEqual(['hls/r/v1/index.m3u8']);
    expect(keyOfUri('hls/r/v1/index.m3u8', 'https://cdn/x.m4s')).toBeUndefined();
    expect(keyOfUri('hls/r/v1/index.m3u8', '../v2/seg0.m4s')).toBeUndefined();
    expect(keyOfUri('hls/r/v1/index.m3u8', 'seg1.m4s?x=1')).toBe('hls/r/v1/seg1.m4s');
  });
});

describe('UploadSpool', () => {
  it('writes straight to storage while it answers, and leaves nothing on disk', async () => {
    const store = new FakeStore();
    const { spool, dir } = await openSpool(store);
    expect(await spool.put(`${P}seg0.m4s`, Buffer.from('s0'), MEDIA, 'segment')).toBe('stored');
    expect(store.objects.get(`${P}seg0.m4s`)?.toString()).toBe('s0');
    expect(await readdir(dir)).toEqual([]);
    expect(spool.stats).toMatchObject({ objects: 0, degraded: false, directPuts: 1 });
    await spool.close();
  });

  it('spools during an outage, serves spooled objects, and uploads them in order with playlists after what they name', async () => {
    const store = new FakeStore();
    const { spool, dir } = await openSpool(store);
    store.down = true;
    const puts: [string, string, 'part' | 'segment' | 'playlist' | 'init'][] = [
      [`${P}init.mp4`, 'i', 'init'],
      [`${P}part0.0.m4s`, 'p00', 'part'],
      [`${P}part0.1.m4s`, 'p01', 'part'],
      [`${P}seg0.m4s`, 's0', 'segment'],
      [`${P}index.m3u8`, playlistNaming('seg0.m4s', 'part0.0.m4s'), 'playlist'],
      [`${P}part1.0.m4s`, 'p10', 'part'],
      [`${P}seg1.m4s`, 's1', 'segment'],
      [`${P}index.m3u8`, playlistNaming('seg0.m4s', 'seg1.m4s', 'part1.0.m4s'), 'playlist'],
      ['hls/r_x/master.m3u8', '#EXTM3U\nv1/index.m3u8\n', 'playlist'],
    ];
    for (const [key, body, kind] of puts) expect(await spool.put(key, Buffer.from(body), MEDIA, kind)).toBe('spooled');
    expect((await spool.read(`${P}part0.1.m4s`))?.toString()).toBe('p01');
    expect(await spool.read(`${P}nothing.m4s`)).toBeUndefined();
    expect(spool.stats).toMatchObject({ degraded: true, segments: 2 });
    expect((await spool.whenDrained(undefined, 50)).drained).toBe(false);

    store.down = false;
    const report = await spool.whenDrained([P], 5000);
    expect(report).toMatchObject({ drained: true, objects: 0 });
    await spool.whenDrained(undefined, 5000);
    // The older index.m3u8 was superseded by the newer one before it could be uploaded.
    expect(store.order.filter((k) => k.endsWith('index.m3u8'))).toEqual([`${P}index.m3u8`]);
    expect(store.order.indexOf(`${P}index.m3u8`)).toBeGreaterThan(store.order.indexOf(`${P}seg1.m4s`));
    expect(store.order.at(-1)).toBe('hls/r_x/master.m3u8');
    expect(store.missingAtPlaylistPut).toEqual([]);
    expect(store.objects.size).toBe(8);
    expect(await spool.read(`${P}part0.1.m4s`)).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
    expect(spool.stats.degraded).toBe(false);
    // Back to direct PUTs.
    expect(await spool.put(`${P}seg2.m4s`, Buffer.from('s2'), MEDIA, 'segment')).toBe('stored');
    await spool.close();
  });

  it('keeps spooling behind a backlog even when storage answers again (order is kept)', async () => {
    const store = new FakeStore();
    const { spool } = await openSpool(store, { minBackoffMs: 200, maxBackoffMs: 200 });
    store.down = true;
    await spool.put(`${P}seg0.m4s`, Buffer.from('a'), MEDIA, 'segment');
    store.down = false;
    expect(await spool.put(`${P}seg1.m4s`, Buffer.from('b'), MEDIA, 'segment')).toBe('spooled');
    await spool.whenDrained(undefined, 5000);
    expect(store.order).toEqual([`${P}seg0.m4s`, `${P}seg1.m4s`]);
    await spool.close();
  });

  it('treats a PUT that hangs as failed and spools the object', async () => {
    const store = new FakeStore();
    const { spool } = await openSpool(store, { directTimeoutMs: 50, uploadTimeoutMs: 50 });
    store.hang = true;
    const started = Date.now();
    expect(await spool.put(`${P}part0.0.m4s`, Buffer.from('p'), MEDIA, 'part')).toBe('spooled');
    expect(Date.now() - started).toBeLessThan(1000);
    store.hang = false;
    expect((await spool.whenDrained(undefined, 5000)).drained).toBe(true);
    expect(store.objects.has(`${P}part0.0.m4s`)).toBe(true);
    await spool.close();
  });

  it('drops the oldest unlisted parts when full, never segments or listed parts, and says when it cannot', async () => {
    const store = new FakeStore();
    const kb = Buffer.alloc(1000);
    // Each file is 1000 bytes of body plus a ~140-byte header: room for 5.
    const { spool } = await openSpool(store, { maxBytes: 5800 });
    store.down = true;
    await spool.put(`${P}part0.0.m4s`, kb, MEDIA, 'part');
    await spool.put(`${P}part0.1.m4s`, kb, MEDIA, 'part');
    await spool.put(`${P}seg0.m4s`, kb, MEDIA, 'segment');
    await spool.put(`${P}part1.0.m4s`, kb, MEDIA, 'part');
    // The live playlist lists part0.1 and part1.0, not part0.0.
    const pin = (text: string) => spool.pin(P, namedKeys(`${P}index.m3u8`, text));
    pin(playlistNaming('seg0.m4s', 'part0.1.m4s', 'part1.0.m4s'));
    await spool.put(`${P}seg1.m4s`, kb, MEDIA, 'segment');
    await spool.put(`${P}seg2.m4s`, kb, MEDIA, 'segment');
    expect(await spool.read(`${P}part0.0.m4s`)).toBeUndefined();
    expect(await spool.read(`${P}part0.1.m4s`)).toBeDefined();
    expect(spool.stats.droppedParts).toBe(1);
    // Only segments and listed parts left: refused rather than dropped.
    await expect(spool.put(`${P}seg3.m4s`, kb, MEDIA, 'segment')).rejects.toBeInstanceOf(SpoolFullError);
    // A newer playlist no longer lists part0.1 (nor, two playlists on, part1.0): they may go now.
    pin(playlistNaming('seg1.m4s', 'seg2.m4s'));
    pin(playlistNaming('seg2.m4s'));
    expect(await spool.put(`${P}seg3.m4s`, kb, MEDIA, 'segment')).toBe('spooled');
    store.down = false;
    await spool.whenDrained(undefined, 5000);
    expect([...store.objects.keys()].filter((k) => k.includes('seg')).sort()).toEqual([0, 1, 2, 3].map((n) => `${P}seg${n}.m4s`));
    await spool.close();
  });

  it('drops what the live expiry deleted instead of uploading it after the outage, and makes room with it first', async () => {
    const store = new FakeStore();
    const kb = Buffer.alloc(1000);
    const { spool } = await openSpool(store, { maxBytes: 3500 });
    store.down = true;
    for (const n of [0, 1]) await spool.put(`${P}seg${n}.m4s`, kb, MEDIA, 'segment');
    await spool.put(`${P}part9.m4s`, kb, MEDIA, 'part');
    // seg0 expired a while ago, part9 has not yet, seg1 never: only seg0 may go.
    spool.expire([`${P}seg0.m4s`, `${P}part9.m4s`, `${P}nothing.m4s`], Date.now() - 1);
    spool.expire([`${P}part9.m4s`], Date.now() + 60_000);
    // Full of segments, but an expired one makes room (segments are never dropped otherwise).
    expect(await spool.put(`${P}seg2.m4s`, kb, MEDIA, 'segment')).toBe('spooled');
    expect(await spool.read(`${P}seg0.m4s`)).toBeUndefined();
    expect(spool.stats.expired).toBe(1);
    // An expiry that passes while spooled: dropped by the uploader rather than brought back.
    spool.expire([`${P}seg1.m4s`], Date.now() - 1);
    store.down = false;
    await spool.whenDrained(undefined, 5000);
    expect([...store.objects.keys()].sort()).toEqual([`${P}part9.m4s`, `${P}seg2.m4s`]);
    expect(spool.stats).toMatchObject({ expired: 2, droppedParts: 0 });
    await spool.close();
  });

  it('keeps its expiry marks across a restart: an object deleted meanwhile is not uploaded after it', async () => {
    const store = new FakeStore();
    store.down = true;
    const first = await openSpool(store);
    for (const n of [0, 1, 2]) await first.spool.put(`${P}seg${n}.m4s`, Buffer.from(`s${n}`), MEDIA, 'segment');
    const dueAt = Date.now() + 300;
    first.spool.expire([`${P}seg0.m4s`, `${P}seg1.m4s`], dueAt);
    first.spool.expire([`${P}seg1.m4s`], dueAt + 60_000); // a later mark of the same key wins
    expect((await first.spool.close(10)).objects).toBe(3);
    // A crash cut the last append short: the marks before it still count.
    await appendFile(path.join(first.dir, EXPIRY_MARKS_FILE), '{"dueAt":1,"keys":["hls/r_x/v1/se');

    const second = await openSpool(store, { dir: first.dir });
    await new Promise((r) => setTimeout(r, Math.max(0, dueAt - Date.now()) + 20));
    store.down = false;
    expect((await second.spool.whenDrained(undefined, 5000)).drained).toBe(true);
    expect([...store.objects.keys()].sort()).toEqual([`${P}seg1.m4s`, `${P}seg2.m4s`]);
    expect(second.spool.stats.expired).toBe(1);
    await second.spool.close();
    // Drained: no spooled file and no marks left behind.
    expect(await readdir(first.dir)).toEqual([]);
  });

  it('reads expiry marks line by line, skipping a torn one', () => {
    const text = expiryMarkLine(['a', 'b'], 5) + expiryMarkLine(['b'], 9) + '{"dueAt":3,"keys":["c"' + '\n' + expiryMarkLine(['d'], 1);
    const { dueAt, badLines } = readExpiryMarks(text);
    expect([...dueAt.entries()].sort()).toEqual([['a', 5], ['b', 9], ['d', 1]]);
    expect(badLines).toBe(1);
  });

  it('uploads what an earlier run left in its directory', async () => {
    const store = new FakeStore();
    store.down = true;
    const first = await openSpool(store, { maxBackoffMs: 20 });
    await first.spool.put(`${P}seg0.m4s`, Buffer.from('s0'), MEDIA, 'segment');
    await first.spool.put(`${P}index.m3u8`, Buffer.from(playlistNaming('seg0.m4s')), PLAYLIST, 'playlist');
    const left = await first.spool.close(10);
    expect(left).toMatchObject({ drained: false, objects: 2, segments: 1 });
    expect((await readdir(first.dir)).length).toBe(2);

    store.down = false;
    const second = await openSpool(store, { dir: first.dir });
    expect((await second.spool.read(`${P}seg0.m4s`))?.toString() ?? store.objects.get(`${P}seg0.m4s`)?.toString()).toBe('s0');
    expect((await second.spool.whenDrained(undefined, 5000)).drained).toBe(true);
    expect(store.order).toEqual([`${P}seg0.m4s`, `${P}index.m3u8`]);
    expect(await readdir(first.dir)).toEqual([]);
    await second.spool.close();
  });
});
