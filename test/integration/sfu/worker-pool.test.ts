import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../common/logger.js';
import { MEDIA_CODECS } from '../../../src/sfu/media-codecs.js';
import { WorkerPool, WorkerSpawnError } from '../../../src/sfu/worker-pool.js';

const logger = createLogger('silent');

describe('mediasoup worker pool (real workers)', () => {
  it('starts workers and creates/closes a router with opus, VP8 and H264', async () => {
    const pool = await WorkerPool.create({ count: 2, rtcMinPort: 42000, rtcMaxPort: 42999, logger });
    try {
      expect(pool.size).toBe(2);
      expect((await pool.health()).every((w) => w.ok)).toBe(true);
      const router = await pool.all[0]!.createRouter({ mediaCodecs: MEDIA_CODECS });
      const mimes = router.rtpCapabilities.codecs!.map((c) => c.mimeType);
      expect(mimes).toEqual(expect.arrayContaining(['audio/opus', 'video/VP8', 'video/H264']));
      router.close();
      expect(router.closed).toBe(true);
      expect((await pool.all[0]!.dump()).routerIds).toEqual([]);
    } finally {
      pool.close();
    }
    expect(pool.size).toBe(0);
  });

  it('refuses a port range too small for the worker count', async () => {
    await expect(WorkerPool.create({ count: 4, rtcMinPort: 42000, rtcMaxPort: 42003, logger })).rejects.toBeInstanceOf(WorkerSpawnError);
  });
});
