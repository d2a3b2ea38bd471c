// The origin process of the LL-HLS origin bench (forked with `--origin`): the origin as a node serves
// it (hlsOriginApp(): createApp()'s express settings and security headers, the origin routes, its
// fast path in front; an open playback gate) plus a synthetic live stream pushed through the real
// HlsPublisher → MediaPlaylist path into the embedded S3 and Redis. By default the origin shares the
// publisher's MediaCache, as a node's pipeline and origin share it; with BENCH_SHARED_CACHE=0 it has
// its own, as a node whose pipelines do not run this stream: every object comes from S3 through the
// origin's read-through cache. No ffmpeg: hand-made Segmenter actions, as in
// test/integration/hls/origin-protocol.test.ts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { MediaPlaylist } from '../../pipeline/llhls/media-playlist.js';
import type { PublishAction } from '../../pipeline/llhls/segmenter.js';
import { HlsPublisher } from '../../pipeline/publish/hls-publisher.js';
import { MediaCache } from '../../pipeline/publish/media-cache.js';
import { HlsOrigin } from '../../src/hls/hls-origin.js';
import { PlaylistStateHub } from '../../src/hls/playlist-state-hub.js';
import { createLogger } from '../../common/logger.js';
import { connectRedis } from '../../src/runtime/redis.js';
import { ObjectStore } from '../../storage/object-store.js';
import { monoMs } from './llhls-http.js';
import { hlsOriginApp } from '../../src/api/app.js';

export const PART_MS = 200;
export const PARTS_PER_SEGMENT = 5;
export const PART_BYTES = 40_000;
export const ROOM_ID = 'r_bench-llhls';
export const RENDITION = 'vbench';
export const INIT_BYTES = Buffer.alloc(800, 7);

const PATTERN = (() => {
  const b = Buffer.allocUnsafe(PART_BYTES);
  let x = 0x9e3779b9;
  for (let i = 0; i < b.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
})();

/** The bytes of part `seq` (msn × 5 + index): the same in every process, so nginx serves the very same files. */
export function partBytes(seq: number): Buffer {
  const b = Buffer.from(PATTERN);
  b.writeUInt32BE(seq, 0);
  return b;
}

export type OriginMessage =
  | { type: 'ready'; url: string; pid: number }
  | {
      type: 'published';
      seq: number;
      msn: number;
      part: number;
      /** CLOCK_MONOTONIC ms: the tick that produced the part. */
      tTick: number;
      /** Bytes stored in S3 + cache; the playlist update naming it starts now. */
      tPub: number;
      /** The update is in Redis (SET + PUBLISH answered). */
      tDone: number;
      /** The full playlist after this tick, for the static copy. */
      playlist: string;
      segment: boolean;
    }
  | {
      type: 'stats';
      id: number;
      eluIdle: number;
      eluActive: number;
      rss: number;
      heapUsed: number;
      cacheEntries: number;
      cacheBytes: number;
      publishFailures: number;
      /** Object reads the origin made from S3 so far. */
      storageGets: number;
      /** Requests the origin was asked so far: media playlists and parts/segments (the cache side counts what reaches it). */
      playlistRequests: number;
      mediaRequests: number;
    };

export type OriginCommand = { cmd: 'stats'; id: number } | { cmd: 'exit' };

/** BENCH_SHARED_CACHE=0: the origin does not share the publisher's MediaCache. */
export const SHARED_CACHE = process.env.BENCH_SHARED_CACHE !== '0';
/** BENCH_FAST_PATH=0: every request goes through express (as before withHlsFastPath). */
export const FAST_PATH = process.env.BENCH_FAST_PATH !== '0';

/** The origin's view of S3, counting the objects it reads. */
class CountingStore extends ObjectStore {
  gets = 0;
  override get(key: string): Promise<Buffer> {
    this.gets++;
    return super.get(key);
  }
}

export async function originMain(): Promise<void> {
  const send = (m: OriginMessage) => process.send?.(m);
  const redisUrl = process.env.BENCH_REDIS_URL!;
  const s3 = JSON.parse(process.env.BENCH_S3!) as { endpoint: string; accessKey: string; secretKey: string };
  const logger = createLogger('silent');

  const redis = await connectRedis(redisUrl, 'bench-origin');
  const pubRedis = await connectRedis(redisUrl, 'bench-publisher');
  const s3Options = { ...s3, bucket: 'bench-hls', region: 'us-east-1' };
  const store = new ObjectStore(s3Options);
  await store.ensureBucket();
  const cache = new MediaCache();
  const originStore = new CountingStore(s3Options);
  const hub = PlaylistStateHub.connect(redis);
  // The bench room is not a registered room: no registration gate (HlsAccess would answer "open" after a Redis GET every 5 s).
  const openGate = { check: async () => ({ gated: false, token: null }) };
  const origin = new HlsOrigin({ hub, store: originStore, cache: SHARED_CACHE ? cache : new MediaCache(), access: openGate });

  const app = hlsOriginApp(origin, FAST_PATH);
  const requests = { playlists: 0, media: 0 };
  const server = http.createServer((req, res) => {
    if (req.url?.includes('.m3u8')) requests.playlists++;
    else requests.media++;
    app(req, res);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  const { port } = server.address() as AddressInfo;

  // The stream.
  const playlist = new MediaPlaylist({ targetDuration: 1, partTarget: PART_MS / 1000 });
  const publisher = new HlsPublisher({ roomId: ROOM_ID, rendition: RENDITION, playlist, store, redis: pubRedis, cache, logger });
  await publisher.perform([
    { type: 'write', kind: 'init', uri: 'init.mp4', bytes: INIT_BYTES },
    { type: 'publish', update: { kind: 'map', uri: 'init.mp4', discontinuity: false } },
  ]);
  await publisher.publishMaster(`#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-STREAM-INF:BANDWIDTH=1700000,CODECS="avc1.64001f,mp4a.40.2"\n${RENDITION}/index.m3u8\n`, [RENDITION]);

  const wall0 = Date.now();
  const t0 = monoMs();
  let k = 0;
  let publishFailures = 0;
  let segmentParts: Buffer[] = [];
  const tick = () => {
    const tTick = monoMs();
    const seq = k++;
    const msn = Math.floor(seq / PARTS_PER_SEGMENT);
    const index = seq % PARTS_PER_SEGMENT;
    const uri = `part${seq}.m4s`;
    const bytes = partBytes(seq);
    segmentParts.push(bytes);
    const programDateTime = wall0 + seq * PART_MS;
    let tPub = 0;
    void publisher.perform([{ type: 'write', kind: 'part', uri, bytes }]).then(() => (tPub = monoMs()), () => {});
    const actions: PublishAction[] = [{ type: 'publish', update: { kind: 'part', msn, index, part: { duration: PART_MS / 1000, independent: index === 0, uri, programDateTime, number: seq } } }];
    const closes = index === PARTS_PER_SEGMENT - 1;
    if (closes) {
      const segment = { msn, uri: `seg${msn}.m4s`, duration: (PARTS_PER_SEGMENT * PART_MS) / 1000, programDateTime: wall0 + msn * PARTS_PER_SEGMENT * PART_MS, discontinuity: false, mapUri: 'init.mp4' };
      actions.push({ type: 'write', kind: 'segment', uri: segment.uri, bytes: Buffer.concat(segmentParts) }, { type: 'publish', update: { kind: 'segment', segment } });
      segmentParts = [];
    }
    publisher.perform(actions).then(
      () => send({ type: 'published', seq, msn, part: index, tTick, tPub, tDone: monoMs(), playlist: playlist.render(), segment: closes }),
      (err: Error) => {
        publishFailures++;
        process.stderr.write(`origin: publish of ${uri} failed: ${err.message}\n`);
      },
    );
    // Drift-free: the next part is due at t0 + k × 200 ms whatever this one cost.
    setTimeout(tick, Math.max(0, t0 + k * PART_MS - monoMs()));
  };
  tick();

  process.on('message', (msg: OriginCommand) => {
    if (msg.cmd === 'stats') {
      // Cumulative: the parent takes differences over the interval it wants.
      const elu = performance.eventLoopUtilization();
      const mem = process.memoryUsage();
      send({ type: 'stats', id: msg.id, eluIdle: elu.idle, eluActive: elu.active, rss: mem.rss, heapUsed: mem.heapUsed, cacheEntries: cache.size.entries, cacheBytes: cache.size.bytes, publishFailures, storageGets: originStore.gets, playlistRequests: requests.playlists, mediaRequests: requests.media });
    } else if (msg.cmd === 'exit') {
      server.closeAllConnections();
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', url: `http://127.0.0.1:${port}`, pid: process.pid });
}
