// A finished pipeline run becomes a recording: VOD playlist beside the segments, an MP4 exported by
// a BullMQ job, `recording.ready` in the room's event stream.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { BroadcastPipeline } from '../../../pipeline/broadcast-pipeline.js';
import { RouterFeeds } from '../../../pipeline/ingest/router-feeds.js';
import { MediaCache } from '../../../pipeline/publish/media-cache.js';
import { Recorder } from '../../../pipeline/recording/recorder.js';
import { RecordingStore } from '../../../pipeline/recording/recording-store.js';
import { RoomEventEmitter } from '../../../src/events/room-event-emitter.js';
import { roomEventStream } from '../../../src/events/event-keys.js';
import { createLogger } from '../../../common/logger.js';
import { RoomRepository } from '../../../src/rooms/room-repository.js';
import { ObjectStore } from '../../../storage/object-store.js';
import { waitFor } from '../../../bench/lib/wait.js';
import { startLiveSource } from './rtp-sender.js';

const run = promisify(execFile);
const noKick = { queuesFilled: async () => {} };

describe('recordings', () => {
  it('exports a finished run to MP4 and announces it', async () => {
    const logger = createLogger('silent');
    const roomId = `r_rec-${Date.now()}`;
    const base = inject('redisUrl');
    const redisUrl = `${base}/63`;
    const redis = new Redis(redisUrl);
    const { pool, router, sender } = await startLiveSource(logger, 30);
    const store = new ObjectStore({ ...inject('s3'), bucket: 'test-recordings', region: 'us-east-1' });
    await store.ensureBucket();
    const repository = new RoomRepository(redis, noKick);
    const recordings = new RecordingStore(redis);
    const events = new RoomEventEmitter(redis, noKick);
    const recorder = new Recorder({
      connection: { url: redisUrl, maxRetriesPerRequest: null },
      store,
      recordings,
      onReady: async (ready) => {
        const room = await repository.get(ready.room_id);
        if (room) await events.emit(room, 'recording.ready', { recording_id: ready.id, duration_s: ready.duration_s, mp4_bytes: ready.mp4_bytes });
      },
      logger,
    });
    recorder.startWorker();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'levelchat-rec-test-'));
    try {
      await repository.create({
        id: roomId, external_id: null, type: 'broadcast', config: { max_participants: null, max_publishers: 4, preferred_codec: 'h264', record: { enabled: true }, e2ee: false, region_hint: null, hls: true, registration: 'off', hls_renditions: ['source'], hls_dvr_window_s: 0, playback: 'public' },
        state: 'created', created_at: new Date().toISOString(), transitions: [], ended_reason: null, participants: 0, owner: 'test',
      });
      const pipeline = await BroadcastPipeline.start({
        roomId, feeds: new RouterFeeds(router), videoProducerId: sender.videoProducer.id, audioProducerId: sender.audioProducer.id,
        store, redis, cache: new MediaCache(), logger,
      });
      await waitFor(() => pipeline.segments.length >= 3, { timeoutMs: 20_000, what: 'three segments' });
      await pipeline.stop();
      await sender.stop();

      const recording = await recorder.record(roomId, pipeline.state.rendition, pipeline.segments);
      expect(recording).toMatchObject({ room_id: roomId, state: 'processing' });
      const ready = await waitFor(async () => {
        const r = await recordings.get(roomId, recording!.id);
        return r?.state === 'ready' ? r : undefined;
      }, { timeoutMs: 20_000, what: 'the MP4 export' });
      expect(ready.mp4_bytes).toBeGreaterThan(10_000);

      const mp4 = path.join(dir, 'out.mp4');
      writeFileSync(mp4, await store.get(ready.mp4_key));
      const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_name', '-of', 'json', mp4]);
      const probe = JSON.parse(stdout) as { format: { duration: string }; streams: { codec_name: string }[] };
      expect(probe.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
      expect(Math.abs(Number(probe.format.duration) - ready.duration_s)).toBeLessThan(1);
      expect((await store.get(ready.vod_key)).toString()).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
      // The poster: a JPEG of the video's size (the 640x360 test pattern).
      const poster = path.join(dir, 'poster.jpg');
      writeFileSync(poster, await store.get(ready.poster_key!));
      const size = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', poster]);
      expect(JSON.parse(size.stdout).streams).toEqual([{ codec_name: 'mjpeg', width: 640, height: 360 }]);

      const events = await redis.xrange(roomEventStream(roomId), '-', '+');
      expect(events.map(([, f]) => f[1])).toContain('recording.ready');
      expect(await recorder.record(roomId, 'vempty', [])).toBeUndefined();
    } finally {
      await recorder.close();
      pool.close();
      await redis.quit();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
