import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { z } from 'zod';
import { parseWith } from '../../common/json-payload.js';
import { roomIdSchema } from '../../common/room-id.js';
import type { Logger } from '../../common/logger.js';
import { closeQueue, closeWorker } from '../../common/close-worker.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { probe, type MediaProbe } from '../ffmpeg/probe.js';
import { remuxToMp4 } from '../ffmpeg/remux.js';
import { grabStill } from '../ffmpeg/still.js';
import type { Segment } from '../llhls/segment.js';
import { renderVodPlaylist } from '../llhls/vod-playlist.js';
import { hlsKey } from '../publish/hls-objects.js';
import type { Recording, RecordingStore } from './recording-store.js';

const QUEUE = 'recording-export';
/** Job data lives in Redis: read back through its schema like any other stored payload. */
const exportJobSchema = z.object({ roomId: roomIdSchema, recordingId: z.string().regex(/^rec_[0-9a-f]{16}$/) });
type ExportJob = z.infer<typeof exportJobSchema>;
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Posters are at most this wide (a social card's size); narrower videos keep theirs. */
const POSTER_MAX_WIDTH = 1280;

/**
 * Recordings of a room's LL-HLS stream: when a run of the pipeline ends, its segments (already in
 * storage) get a VOD playlist beside them, and a BullMQ job exports one MP4 (`-c copy`, faststart)
 * to `recordings/{room_id}/{recording_id}.mp4`, checks it with ffprobe and takes a poster image
 * from it (`{recording_id}.jpg`); `onReady` is told (the stack emits `recording.ready`). The
 * ffmpeg jobs are fluent-ffmpeg's (one input, one output each).
 */
export class Recorder {
  private readonly queue: Queue<ExportJob>;
  private worker: Worker | undefined;

  constructor(
    private readonly deps: {
      connection: ConnectionOptions;
      store: ObjectStore;
      recordings: RecordingStore;
      /** Called once a recording's MP4 is stored. */
      onReady: (recording: Recording) => Promise<void>;
      logger: Logger;
    },
  ) {
    this.queue = new Queue(QUEUE, { connection: deps.connection });
    this.queue.on('error', (err) => deps.logger.warn({ err: err.message }, 'recording queue error'));
  }

  /** Called with the segments of a finished pipeline run; a run with no segment records nothing. */
  async record(roomId: string, rendition: string, segments: readonly Segment[]): Promise<Recording | undefined> {
    if (segments.length === 0) return undefined;
    const id = `rec_${randomBytes(8).toString('hex')}`;
    // Named after the recording: the runs of one broadcast (on-air switches) share their rendition directory.
    const vodKey = hlsKey(roomId, rendition, `vod-${id}.m3u8`);
    await this.deps.store.put(vodKey, Buffer.from(renderVodPlaylist(segments)), { contentType: 'application/vnd.apple.mpegurl', cacheControl: IMMUTABLE });
    const first = segments[0]!;
    const last = segments.at(-1)!;
    const recording: Recording = {
      id,
      room_id: roomId,
      rendition,
      state: 'processing',
      started_at: new Date(first.programDateTime).toISOString(),
      ended_at: new Date(last.programDateTime + last.duration * 1000).toISOString(),
      duration_s: Math.round(segments.reduce((sum, s) => sum + s.duration, 0) * 1000) / 1000,
      vod_key: vodKey,
      mp4_key: `recordings/${roomId}/${id}.mp4`,
      mp4_bytes: null,
      poster_key: null,
      error: null,
    };
    await this.deps.recordings.save(recording);
    await this.queue.add('export', { roomId, recordingId: id }, { jobId: `export-${id}`, attempts: 5, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: true, removeOnFail: 100 });
    return recording;
  }

  startWorker(): void {
    this.worker = new Worker<ExportJob>(QUEUE, (job) => {
      const { roomId, recordingId } = parseWith(exportJobSchema, job.data, 'recording export job');
      return this.export(roomId, recordingId, job.attemptsMade + 1 >= (job.opts.attempts ?? 1));
    }, {
      connection: this.deps.connection,
      concurrency: 1,
    });
    this.worker.on('error', (err) => this.deps.logger.warn({ err: err.message }, 'recording worker error'));
  }

  async close(): Promise<void> {
    if (this.worker) await closeWorker(this.worker);
    await closeQueue(this.queue);
  }

  /** A JPEG of the recording's first second (for listings and social cards); a poster that fails is no failure of the recording. */
  private async poster(recording: Recording, mp4: string, probed: MediaProbe): Promise<string | null> {
    if (!probed.video) return null;
    try {
      const jpeg = await grabStill(mp4, { atS: Math.min(1, (probed.durationS ?? 0) / 2), width: Math.min(probed.video.width, POSTER_MAX_WIDTH) });
      const key = recording.mp4_key.replace(/\.mp4$/, '.jpg');
      await this.deps.store.put(key, jpeg, { contentType: 'image/jpeg', cacheControl: IMMUTABLE });
      return key;
    } catch (err) {
      this.deps.logger.warn({ room_id: recording.room_id, recording_id: recording.id, err: (err as Error).message }, 'no poster for the recording');
      return null;
    }
  }

  private async export(roomId: string, recordingId: string, lastAttempt: boolean): Promise<void> {
    const recording = await this.deps.recordings.get(roomId, recordingId);
    if (!recording || recording.state === 'ready') return;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'levelchat-recording-'));
    try {
      const playlist = (await this.deps.store.get(recording.vod_key)).toString();
      await writeFile(path.join(dir, 'vod.m3u8'), playlist);
      const names = new Set<string>();
      for (const line of playlist.split('\n')) {
        const map = /URI="([^"]+)"/.exec(line);
        if (map) names.add(map[1]!);
        else if (line && !line.startsWith('#')) names.add(line.trim());
      }
      for (const name of names) {
        if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`unexpected object name in the VOD playlist: ${name}`);
        await writeFile(path.join(dir, name), await this.deps.store.get(hlsKey(roomId, recording.rendition, name)));
      }
      const mp4 = path.join(dir, 'recording.mp4');
      await remuxToMp4(path.join(dir, 'vod.m3u8'), mp4, ['-allowed_extensions', 'ALL']);
      const probed = await probe(mp4);
      if (!probed.video && !probed.audio) throw new Error('the exported MP4 holds no audio or video');
      const bytes = await readFile(mp4);
      await this.deps.store.put(recording.mp4_key, bytes, { contentType: 'video/mp4', cacheControl: IMMUTABLE });
      const posterKey = await this.poster(recording, mp4, probed);
      const ready: Recording = { ...recording, state: 'ready', mp4_bytes: bytes.length, poster_key: posterKey };
      await this.deps.recordings.save(ready);
      await this.deps.onReady(ready);
      this.deps.logger.info({ room_id: roomId, recording_id: recordingId, bytes: bytes.length }, 'recording ready');
    } catch (err) {
      if (lastAttempt) await this.deps.recordings.save({ ...recording, state: 'failed', error: (err as Error).message.slice(0, 500) });
      throw err;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

