import { Redis } from 'ioredis';
import { afterAll, beforeAll, inject } from 'vitest';
import { BroadcastPipeline, type BroadcastPipelineOptions } from '../../../pipeline/broadcast-pipeline.js';
import { RouterFeeds } from '../../../pipeline/ingest/router-feeds.js';
import type { ObjectStore } from '../../../storage/object-store.js';
import { createLogger, type Logger } from '../../../common/logger.js';
import { lateBound } from '../../helpers/test-stack.js';
import { startOrigin, type OriginHarness } from '../hls/origin-harness.js';
import { startLiveSource, type RtpSender } from './rtp-sender.js';

export interface LivePipeline {
  pipeline: BroadcastPipeline;
  sender: RtpSender;
  origin: OriginHarness;
}

export interface LivePipelineOptions {
  roomId: string;
  /** How long the ffmpeg source sends, in seconds. */
  seconds: number;
  codec?: Parameters<typeof startLiveSource>[2];
  size?: string;
  /** Makes the origin's store (shared with the pipeline), when the test watches it. */
  store?: () => Promise<ObjectStore>;
  pipeline?: Pick<BroadcastPipelineOptions, 'renditions'>;
}

export interface LiveSourceRig {
  sender: RtpSender;
  origin: OriginHarness;
  /** What a BroadcastPipeline of this source into this origin is started with. */
  options: BroadcastPipelineOptions;
  stop(): Promise<void>;
}

/** An ffmpeg test source into a mediasoup router, an LL-HLS origin, and the shared test Redis. */
export async function startLiveSourceRig(o: Omit<LivePipelineOptions, 'pipeline'>, logger: Logger): Promise<LiveSourceRig> {
  const { pool, router, sender } = await startLiveSource(logger, o.seconds, o.codec, o.size);
  const origin = await startOrigin(o.store ? { store: await o.store() } : {});
  const redis = new Redis(inject('redisUrl'));
  return {
    sender,
    origin,
    options: {
      roomId: o.roomId,
      feeds: new RouterFeeds(router),
      videoProducerId: sender.videoProducer.id,
      audioProducerId: sender.audioProducer.id,
      store: origin.store,
      redis,
      cache: origin.cache,
      logger,
    },
    async stop() {
      await sender.stop();
      await origin.stop();
      await redis.quit();
      pool.close();
    },
  };
}

/**
 * For the whole test file: startLiveSourceRig and a BroadcastPipeline packaging the source into the
 * shared test S3 and Redis, served by the origin; started in beforeAll, stopped in afterAll. Use the
 * returned object only inside tests and hooks.
 */
export function useLivePipeline(o: LivePipelineOptions): LivePipeline {
  let live: LivePipeline | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const rig = await startLiveSourceRig(o, createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'));
    let pipeline: BroadcastPipeline | undefined;
    cleanup = async () => {
      await pipeline?.stop();
      await rig.stop();
    };
    pipeline = await BroadcastPipeline.start({ ...rig.options, ...o.pipeline });
    live = { pipeline, sender: rig.sender, origin: rig.origin };
  });
  afterAll(() => cleanup?.());
  return lateBound(() => live, 'the live pipeline');
}
