// The S3 endpoint goes away for OUTAGE_S seconds (default 30) under a live LL-HLS stream: a real
// pipeline (mediasoup + ffmpeg RTP sender + BroadcastPipeline) keeps publishing, spooling objects on
// disk; the origin keeps serving the stream; once S3 is back the spool drains in order into it and
// the run's recording has every segment in S3. Our own s3rver child (fixed loopback port, own dir) is
// stopped and started again on the same port and directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BroadcastPipeline, type BroadcastEndReason } from '../../../pipeline/broadcast-pipeline.js';
import { RouterFeeds } from '../../../pipeline/ingest/router-feeds.js';
import { hlsKey, masterKey } from '../../../pipeline/publish/hls-objects.js';
import { MediaCache } from '../../../pipeline/publish/media-cache.js';
import { namedKeys } from '../../../pipeline/publish/playlist-uris.js';
import { UploadSpool, type DrainReport, type SpooledObjectSource } from '../../../pipeline/publish/upload-spool.js';
import { createLogger } from '../../../common/logger.js';
import { compiledEntry } from '../../../common/compiled-entry.js';
import { WorkerPool } from '../../../src/sfu/worker-pool.js';
import { EMBEDDED_S3_CREDENTIALS } from '../../../storage/embedded-s3/credentials.js';
import { freePort } from '../../../common/free-port.js';
import { ObjectStore, type ObjectStoreOptions, type PutOptions } from '../../../storage/object-store.js';
import { parsePlaylist, urisOf, type ParsedPlaylist } from '../../unit/pipeline/m3u8.js';
import { startOrigin, type OriginHarness } from '../hls/origin-harness.js';
import { startLiveSource, type RtpSender } from '../pipeline/rtp-sender.js';

const OUTAGE_S = Number(process.env.OUTAGE_S ?? 30);
const log = (msg: string) => console.log(`[s3-outage +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
const t0 = Date.now();

/** Our own embedded S3 server: `node dist/storage/embedded-s3/server.js <dir> <port>`. */
class S3Child {
  private child: ChildProcess | undefined;
  constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  async start(): Promise<void> {
    const child = spawn(process.execPath, [compiledEntry('storage/embedded-s3/server'), this.dir, String(this.port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes(`embedded-s3 ready on 127.0.0.1:${this.port}`)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`embedded S3 exited (${code}) before it was ready: ${out}`)));
    });
  }

  /** SIGKILL is the outage (a SIGTERM'd s3rver keeps serving its keep-alive connections for a while). */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const hard = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(hard);
  }
}

/** The pipeline's storage, remembering which PUTs succeeded in which order (and the playlists' texts). */
class RecordingStore extends ObjectStore {
  readonly stored: { key: string; text?: string }[] = [];
  override async put(key: string, body: Buffer, options: PutOptions): Promise<void> {
    await super.put(key, body, options);
    this.stored.push({ key, ...(key.endsWith('.m3u8') ? { text: body.toString() } : {}) });
  }
}

const roomId = `r_s3-outage-${Date.now()}`;
const root = mkdtempSync(path.join(os.tmpdir(), 'levelchat-s3-outage-'));
const spoolDir = path.join(root, 'hls-spool');
let s3: S3Child;
let pool: WorkerPool;
let router: types.Router;
let sender: RtpSender;
let store: RecordingStore;
let spool: UploadSpool;
/** Reads the origin served from the spool (the origin's own spool fallback, counted). */
let fromSpool = 0;
let origin: OriginHarness;
let redis: Redis;
let pipeline: BroadcastPipeline;
const ended: BroadcastEndReason[] = [];
/** Every URI a playlist named during the outage, with the size the origin served for it. */
const servedDuringOutage = new Map<string, number>();
/** Those of them that were in the spool (named while only this node had them). */
const spooledDuringOutage = new Set<string>();

const key = (uri: string) => hlsKey(roomId, pipeline.rendition, uri);
const spooledFiles = () => readdirSync(spoolDir).filter((f) => f.endsWith('.spool')).length;

/** GET of one of the rendition's files from the origin. */
const fromOrigin = (uri: string) => fetch(`${origin.url}/hls/${roomId}/${pipeline.rendition}/${uri}`);

async function getPlaylist(query = ''): Promise<ParsedPlaylist> {
  const res = await fromOrigin(`index.m3u8${query}`);
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return parsePlaylist(text);
}

/**
 * An object a playlist named a moment ago, or undefined when the origin no longer serves it because it
 * left the live window since (the loop fetches one URI after the other; under load the window may slide
 * before it reaches the oldest): what the origin promises is what its playlist names now.
 */
async function fetchNamed(uri: string): Promise<Buffer | undefined> {
  const res = await fromOrigin(uri);
  if (res.status === 200) return Buffer.from(await res.arrayBuffer());
  await sleep(300); // the origin's playlist follows the publisher's within moments
  expect(urisOf(await getPlaylist()), `${uri} from the origin: ${res.status}, and the playlist still names it`).not.toContain(uri);
  return undefined;
}

async function fetchObject(uri: string): Promise<Buffer> {
  const res = await fromOrigin(uri);
  expect(res.status, `${uri} from the origin`).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

beforeAll(async () => {
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  s3 = new S3Child(path.join(root, 's3'), await freePort());
  await s3.start();
  const s3Options: ObjectStoreOptions = { endpoint: `http://127.0.0.1:${s3.port}`, ...EMBEDDED_S3_CREDENTIALS, bucket: 'outage-hls', region: 'us-east-1' };
  store = new RecordingStore(s3Options);
  await store.ensureBucket();
  spool = await UploadSpool.open({ dir: spoolDir, store, logger });
  // Small on purpose: the origin must not depend on a cache holding the whole outage.
  const cache = new MediaCache({ maxEntries: 24 });
  const countedSpool: SpooledObjectSource = {
    read: async (key) => {
      const bytes = await spool.read(key);
      if (bytes) fromSpool++;
      return bytes;
    },
  };
  origin = await startOrigin({ store: new ObjectStore(s3Options), cache, spool: countedSpool });
  redis = new Redis(inject('redisUrl'));

  ({ pool, router, sender } = await startLiveSource(logger, OUTAGE_S + 45));
  pipeline = await BroadcastPipeline.start({
    roomId,
    feeds: new RouterFeeds(router),
    videoProducerId: sender.videoProducer.id,
    audioProducerId: sender.audioProducer.id,
    store,
    redis,
    cache,
    spool,
    logger,
  });
  pipeline.on('ended', (reason) => ended.push(reason));
  const deadline = Date.now() + 10_000;
  while ((await fetch(`${origin.url}/hls/${roomId}/master.m3u8`)).status === 404 && Date.now() < deadline) await sleep(100);
  await getPlaylist('?_HLS_msn=1'); // two segments closed, in S3
  log(`live: ${pipeline.rendition}, S3 on 127.0.0.1:${s3.port}`);
});

afterAll(async () => {
  await pipeline?.stop();
  await sender?.stop();
  await origin?.stop();
  await redis?.quit();
  pool?.close();
  await spool?.close();
  await s3?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe(`S3 down for ${OUTAGE_S} s under a live LL-HLS stream`, () => {
  it('keeps the stream live from this process: every URI a playlist names is served, the new ones from cache or spool', async () => {
    expect(spool.stats).toMatchObject({ degraded: false, objects: 0 });
    await s3.stop('SIGKILL');
    const outageStart = Date.now();
    log('S3 killed');
    // What this playlist names went to S3 before the outage (at worst the PUTs in flight when it began).
    const before = await getPlaylist();
    // The newest segment and part (parts are numbered across the playlist: the hinted one may have been in flight).
    const beforeBound = { seg: Number(before.tags.get('EXT-X-MEDIA-SEQUENCE')) + before.segments.length, part: Number(/(\d+)/.exec(before.preloadHint?.URI ?? '')?.[1] ?? 0) };
    let playlists = 0;
    let firstMsn: number | undefined;
    let lastMsn = 0;
    /** URIs that left the window between the playlist naming them and the loop fetching them. */
    let slidOut = 0;
    while (Date.now() - outageStart < OUTAGE_S * 1000) {
      const playlist = await getPlaylist();
      playlists++;
      const msn = Number(playlist.tags.get('EXT-X-MEDIA-SEQUENCE')) + playlist.segments.length;
      firstMsn ??= msn;
      lastMsn = msn;
      // Everything named, every time (not only the new ones): old objects drop out of the small cache.
      for (const uri of urisOf(playlist)) {
        const bytes = await fetchNamed(uri);
        if (!bytes) {
          slidOut++;
          continue;
        }
        const spooled = await spool.read(key(uri));
        // Named while S3 is down: either stored before the outage, or spooled (and byte-identical).
        if (spooled) {
          expect(spooled.equals(bytes), `${uri} spooled = served`).toBe(true);
          spooledDuringOutage.add(uri);
        }
        else if (!servedDuringOutage.has(uri)) {
          const [, kind, n] = /^(part|seg)(\d+)/.exec(uri) ?? [];
          expect(Number(n ?? 0) <= (kind === 'part' ? beforeBound.part : beforeBound.seg), `${uri} not spooled, so from before the outage`).toBe(true);
        }
        servedDuringOutage.set(uri, bytes.length);
      }
      await sleep(400);
    }
    // Spooled early in the outage and unlisted since (so out of the small cache): still served, from the spool.
    for (const uri of [...spooledDuringOutage].slice(0, 40)) expect((await fetchObject(uri)).length).toBe(servedDuringOutage.get(uri));
    const stats = spool.stats;
    log(`outage over: ${playlists} playlists, msn ${firstMsn} → ${lastMsn}, ${servedDuringOutage.size} objects served (${spooledDuringOutage.size} spooled), ${fromSpool} origin reads from the spool, ${slidOut} out of the window before fetched; spool ${stats.objects} objects / ${stats.bytes} bytes in ${spooledFiles()} files`);
    expect(slidOut).toBeLessThan(servedDuringOutage.size / 10);
    expect(pipeline.state.running).toBe(true);
    expect(ended).toEqual([]);
    expect(lastMsn - firstMsn!).toBeGreaterThanOrEqual(Math.floor(OUTAGE_S * 0.7));
    expect(stats.degraded).toBe(true);
    expect(stats.segments).toBeGreaterThanOrEqual(Math.floor(OUTAGE_S * 0.7));
    // Every object waiting is on disk (a superseded playlist's file may still be on its way out).
    expect(spooledFiles()).toBeGreaterThanOrEqual(stats.objects);
    expect(fromSpool).toBeGreaterThan(0);
    expect(stats.droppedParts).toBe(0);
  }, (OUTAGE_S + 20) * 1000);

  it('drains the spool into S3 once it is back, in order, and stores only complete playlists', async () => {
    const restarted = Date.now();
    await s3.start();
    log('S3 started again');
    const report: DrainReport = await spool.whenDrained(undefined, 20_000);
    log(`spool drained: ${report.drained} after ${Date.now() - restarted} ms (${spool.stats.uploaded} uploaded)`);
    expect(report.drained).toBe(true);
    expect(readdirSync(spoolDir)).toEqual([]);
    // Everything served during the outage is in S3, byte for byte.
    for (const [uri, size] of servedDuringOutage) expect((await store.stat(key(uri))).size, uri).toBe(size);
    // Every playlist PUT (straight or from the spool) came after the PUTs of all the objects it names,
    // and the segments went up in order.
    const done = new Set<string>();
    let playlistPuts = 0;
    for (const { key: stored, text } of store.stored) {
      if (text !== undefined) {
        playlistPuts++;
        for (const named of namedKeys(stored, text)) expect(done.has(named), `${named} stored before ${stored}`).toBe(true);
      }
      done.add(stored);
    }
    const segmentMsns = store.stored.flatMap(({ key: k }) => /\/seg(\d+)\.m4s$/.exec(k)?.[1] ?? []).map(Number);
    expect(segmentMsns).toEqual([...segmentMsns].sort((a, b) => a - b));
    expect(playlistPuts).toBeGreaterThanOrEqual(3); // queued older versions of index.m3u8 are superseded, not uploaded
    // The stored playlists name only stored objects.
    for (const playlistKey of [key('index.m3u8'), masterKey(roomId)]) {
      const text = (await store.get(playlistKey)).toString();
      for (const named of namedKeys(playlistKey, text)) await expect(store.stat(named), `${named} named by ${playlistKey}`).resolves.toBeDefined();
    }
    expect(pipeline.state.running).toBe(true);
    expect(ended).toEqual([]);
  }, 30_000);

  it('stops with everything in S3: the recording segments, every object the final playlist names, an empty spool', async () => {
    // A little live after the drain: back to direct PUTs.
    const { lastMsn } = pipeline.state;
    await getPlaylist(`?_HLS_msn=${(lastMsn ?? 0) + 1}`);
    expect(spool.stats.degraded).toBe(false);
    const report = await pipeline.stop();
    expect(report).toMatchObject({ drained: true, objects: 0 });
    expect(ended).toEqual(['stopped']);
    const final = await getPlaylist();
    expect(final.ended).toBe(true);
    const uris = urisOf(final);
    for (const uri of uris) await expect(store.stat(key(uri)), uri).resolves.toBeDefined();
    const segments = pipeline.segments;
    expect(segments.length).toBeGreaterThanOrEqual(Math.floor(OUTAGE_S * 0.7));
    const stats = await Promise.all(segments.map((s) => store.stat(key(s.uri))));
    expect(stats.every((s) => s.size > 0)).toBe(true);
    expect((await store.get(key('index.m3u8'))).toString()).toContain('#EXT-X-ENDLIST');
    expect(readdirSync(spoolDir)).toEqual([]);
    log(`stopped: ${segments.length} segments and ${uris.length} final-playlist objects all in S3`);
  }, 30_000);
});
