// An origin on 127.0.0.1:0 over the shared test Redis and S3, as a node serves /hls/: hlsOriginApp()
// (createApp()'s express settings and security headers, the origin routes, its fast path in front).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { MediaCache } from '../../../pipeline/publish/media-cache.js';
import type { SpooledObjectSource } from '../../../pipeline/publish/upload-spool.js';
import { HlsOrigin } from '../../../src/hls/hls-origin.js';
import { PlaylistStateHub } from '../../../src/hls/playlist-state-hub.js';
import { ObjectStore, type ObjectStoreOptions } from '../../../storage/object-store.js';
import { hlsOriginApp } from '../../../src/api/app.js';

export interface OriginHarness {
  url: string;
  redis: Redis;
  store: ObjectStore;
  cache: MediaCache;
  stop(): Promise<void>;
}

/** An object store on the test S3's `test-hls` bucket (created if missing); `Store`: a subclass a test watches. */
export async function testStore(): Promise<ObjectStore>;
export async function testStore<S extends ObjectStore>(Store: new (options: ObjectStoreOptions) => S): Promise<S>;
export async function testStore(Store: new (options: ObjectStoreOptions) => ObjectStore = ObjectStore): Promise<ObjectStore> {
  const store = new Store({ ...inject('s3'), bucket: 'test-hls', region: 'us-east-1' });
  await store.ensureBucket();
  return store;
}

/**
 * Starts an origin; pass `store`/`cache` to share them with a pipeline of the same "process";
 * `fastPath: false` serves everything through the express routes; `onRequest` sees every request's URL.
 */
export async function startOrigin(
  options: { store?: ObjectStore; cache?: MediaCache; spool?: SpooledObjectSource; fastPath?: boolean; onRequest?: (url: string) => void } = {},
): Promise<OriginHarness> {
  const redis = new Redis(inject('redisUrl'));
  const store = options.store ?? (await testStore());
  const cache = options.cache ?? new MediaCache();
  const hub = PlaylistStateHub.connect(redis);
  // These rooms exist only as HLS state: no registration gate (the gate is tested with a whole node).
  const openGate = { check: async () => ({ gated: false, token: null }) };
  const origin = new HlsOrigin({ hub, store, cache, access: openGate, ...(options.spool ? { spool: options.spool } : {}) });
  const app = hlsOriginApp(origin, options.fastPath !== false);
  const { onRequest } = options;
  const server = http.createServer(onRequest ? (req, res) => (onRequest(req.url ?? ''), app(req, res)) : app);
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    redis,
    store,
    cache,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await hub.close();
      await redis.quit();
    },
  };
}
