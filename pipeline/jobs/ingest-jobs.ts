import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../common/logger.js';
import type { Metrics } from '../../common/metrics.js';
import type { HlsRendition } from '../renditions.js';
import { closeQueue, closeWorker } from '../../common/close-worker.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { BroadcastPipeline, type BroadcastEndReason } from '../broadcast-pipeline.js';
import type { RtpFeedSource } from '../ingest/rtp-feed.js';
import type { Cadence } from '../llhls/cadence.js';
import type { MediaCache } from '../publish/media-cache.js';
import { endAbandonedPlaylists } from '../publish/abandoned-playlists.js';
import { handOverPlaylists, takePlaylists } from '../publish/playlist-continuation.js';
import type { UploadSpool } from '../publish/upload-spool.js';
import type { ExpiryScheduler } from '../publish/expiry-queue.js';
import type { Recorder } from '../recording/recorder.js';
import { SourceHolds } from './source-hold.js';

/** One on-air run of a room's LL-HLS: which producers, from which router, packaged how. */
export interface IngestJobData {
  roomId: string;
  /** Grows with every on-air change of the room: a job whose generation is no longer current stops. */
  generation: number;
  /** The router holding the producers (the room's origin, on whichever node). */
  routerId: string;
  videoProducerId: string;
  audioProducerId?: string;
  renditions: HlsRendition[];
  /** Seconds kept seekable in the live playlists (the room's config.hls_dvr_window_s); absent: the live edge only. */
  dvrWindowS?: number;
  /** The room records (config.record.enabled): the run's top rendition becomes a recording. */
  record: boolean;
  /** Who is on air, for the room's HLS status. */
  onAir: { participant_id: string; identity: string };
  /** The run before it handed its playlists over (IngestJobs.handOver): this one goes on in them. */
  continuation?: boolean;
}

/** What a running job reports once players can load its stream. */
export interface IngestProgress {
  onAir: true;
  passthrough: boolean;
  renditions: string[];
}

/** The room's HLS status as the jobs set it (live when on air, failed when the run gives up). */
export interface IngestStatusSink {
  set(roomId: string, status: { state: 'live'; on_air: IngestJobData['onAir'] } | { state: 'failed'; on_air: null; error: string }): Promise<void>;
}

export interface IngestJobsDeps {
  connection: ConnectionOptions;
  /** A regular connection: generations, playlist state. */
  redis: Redis;
  store: ObjectStore;
  cache: MediaCache;
  spool: UploadSpool;
  /** Feeds of the producers of `routerId`: straight from the router when it is in this process, else over the cluster. */
  feedsFor(routerId: string): RtpFeedSource;
  /** The address ffmpeg listens on here, as other nodes reach this one. */
  listenIp: string;
  status: IngestStatusSink;
  recorder: Recorder;
  logger: Logger;
  /** Jobs run at once by this process' worker. */
  concurrency?: number;
  /** Names this process' worker in its jobs (`processedBy`): the node id. */
  workerName?: string;
  /** PART-TARGET, segment target and EXT-X-TARGETDURATION of the playlists this process starts; default cadenceOf(). */
  cadence?: Cadence;
  /** Where the runs record ffmpeg restarts and part publish lag. */
  metrics?: Pick<Metrics, 'hlsPartPublishLag' | 'ffmpegRestarts'>;
  /** Where the runs' expired parts and segments go to be deleted; without it they stay in storage. */
  expiry?: ExpiryScheduler;
}

/** Where a job stands, for operators and tests. */
export interface IngestJobInfo {
  state: string;
  /** The worker (node id) that took it last. */
  processedBy: string | undefined;
  attemptsStarted: number;
}

const QUEUE = 'hls-ingest';
const generationKey = (roomId: string) => `lc:hls:${roomId}:generation`;
/** The generation whose run hands its playlists over instead of ending them (handOver). */
const handOverKey = (roomId: string) => `lc:hls:${roomId}:hand-over`;
/** How long a run whose producer went away waits for the room's director to say what comes next. */
const DECISION_WAIT_MS = 5_000;
/** How long a continuing run waits for the playlists the run before it hands over. */
const HAND_OVER_WAIT_MS = 15_000;
/** How often a running job checks that it is still the room's current run. */
const GENERATION_POLL_MS = 250;
const ON_AIR_TIMEOUT_MS = 10_000;
/** How often a running job looks whether its source is held: a reconnecting encoder waits this long at most for it. */
const HOLD_POLL_MS = 100;
// A job whose worker died is taken up again by another worker once its lock lapses (≤ 10 s) and a
// stalled check notices (every 5 s).
const LOCK_MS = 10_000;
const STALLED_CHECK_MS = 5_000;

/**
 * The LL-HLS ingest as BullMQ jobs: a room's director (on the node holding its producers) asks for
 * a run; any pipeline worker of the cluster takes it, pulls the producers' RTP (over the network
 * when they are on another node) through ffmpeg and the packager into storage, and keeps at it
 * until the room moves on to another run (a new generation) or none. A worker that dies mid-run
 * leaves its job stalled; another worker starts it again (a new run behind the same master
 * playlist).
 */
export class IngestJobs {
  private readonly queue: Queue<IngestJobData>;
  private worker: Worker<IngestJobData> | undefined;
  private readonly running = new Set<Promise<unknown>>();
  private readonly holds: SourceHolds;
  private closing = false;
  #onAir = 0;

  constructor(private readonly deps: IngestJobsDeps) {
    this.holds = new SourceHolds(deps.redis);
    this.queue = new Queue(QUEUE, { connection: deps.connection });
    this.queue.on('error', (err) => deps.logger.warn({ err: err.message }, 'ingest queue error'));
  }

  /** This process' runs that are on air now. */
  get onAirRuns(): number {
    return this.#onAir;
  }

  /** Makes `data` the room's current run (stopping the previous one) and queues it. */
  async start(data: Omit<IngestJobData, 'generation'>): Promise<{ jobId: string; generation: number }> {
    const generation = await this.deps.redis.incr(generationKey(data.roomId));
    const jobId = `${data.roomId}.${generation}`;
    await this.queue.add('run', { ...data, generation }, { jobId, attempts: 3, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: 100, removeOnFail: 100 });
    return { jobId, generation };
  }

  /** Ends the room's current run (if any): its job stops within a moment. */
  async stop(roomId: string): Promise<void> {
    await this.deps.redis.incr(generationKey(roomId));
  }

  /**
   * Ends the room's current run without ending its playlists (an on-air switch): the run closes its
   * segments and hands the playlists over through Redis to the next run, started with `continuation`,
   * which goes on in them after a discontinuity, so players follow without reloading anything.
   */
  async handOver(roomId: string): Promise<void> {
    const { redis } = this.deps;
    const current = Number(await redis.get(generationKey(roomId)));
    await redis.multi().set(handOverKey(roomId), String(current), 'EX', 60).incr(generationKey(roomId)).exec();
  }

  /** Resolves with the job's progress once it is on air, or null (it ended, failed or took too long). */
  async onAir(jobId: string, timeoutMs = ON_AIR_TIMEOUT_MS): Promise<IngestProgress | null> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const job = await this.queue.getJob(jobId);
      const progress = job?.progress as IngestProgress | undefined;
      if (progress && typeof progress === 'object' && progress.onAir) return progress;
      if (!job || job.finishedOn) return null;
      await sleep(100);
    }
    return null;
  }

  /** Waits (at most `timeoutMs`) until the job is no longer running: its playlists are ended. */
  async finished(jobId: string, timeoutMs = 15_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const state = await this.queue.getJobState(jobId).catch(() => 'unknown');
      if (state !== 'active' && state !== 'waiting' && state !== 'delayed' && state !== 'prioritized') return;
      await sleep(100);
    }
  }

  async describe(jobId: string): Promise<IngestJobInfo | undefined> {
    const job = await this.queue.getJob(jobId);
    if (!job) return undefined;
    return { state: await job.getState(), processedBy: job.processedBy, attemptsStarted: job.attemptsStarted };
  }

  startWorker(): void {
    this.worker = new Worker<IngestJobData>(QUEUE, (job) => this.run(job), {
      connection: this.deps.connection,
      ...(this.deps.workerName ? { name: this.deps.workerName } : {}),
      concurrency: this.deps.concurrency ?? 8,
      lockDuration: LOCK_MS,
      stalledInterval: STALLED_CHECK_MS,
      maxStalledCount: 100,
    });
    this.worker.on('error', (err) => this.deps.logger.warn({ err: err.message }, 'ingest worker error'));
  }

  /** Stops this process' runs (ending their playlists), then the worker and the queue. */
  async close(timeoutMs = 15_000): Promise<void> {
    this.closing = true;
    await Promise.race([Promise.allSettled([...this.running]), sleep(timeoutMs)]);
    if (this.worker) await closeWorker(this.worker);
    await closeQueue(this.queue);
  }

  private run(job: Job<IngestJobData>): Promise<BroadcastEndReason | 'superseded'> {
    const run = this.runJob(job);
    this.running.add(run);
    return run.finally(() => this.running.delete(run));
  }

  private async runJob(job: Job<IngestJobData>): Promise<BroadcastEndReason | 'superseded'> {
    const { roomId, generation } = job.data;
    const { logger } = this.deps;
    if (!(await this.isCurrent(job.data))) return 'superseded';
    // A run taken up again after its worker died starts over: not on air until this run is.
    await job.updateProgress({});
    // Without the playlists of the run before (it failed to hand them over), new ones behind the same
    // master. A job taken up again (its worker died, or its run failed) does not wait for them: its
    // first attempt took them.
    const continuation = job.data.continuation && job.attemptsStarted <= 1 ? await takePlaylists(this.deps.redis, roomId, HAND_OVER_WAIT_MS) : undefined;
    // New playlists: the room's earlier ones end now if nothing ended them (this job's worker died
    // mid-run, or playlists handed over that no run took), so their players stop waiting.
    if (!continuation) await this.endAbandoned(roomId);
    const pipeline = await BroadcastPipeline.start({
      roomId,
      feeds: this.deps.feedsFor(job.data.routerId),
      listenIp: this.deps.listenIp,
      videoProducerId: job.data.videoProducerId,
      ...(job.data.audioProducerId ? { audioProducerId: job.data.audioProducerId } : {}),
      store: this.deps.store,
      redis: this.deps.redis,
      cache: this.deps.cache,
      spool: this.deps.spool,
      renditions: job.data.renditions,
      ...(job.data.dvrWindowS ? { dvrWindowS: job.data.dvrWindowS } : {}),
      ...(this.deps.cadence ? { cadence: this.deps.cadence } : {}),
      ...(this.deps.metrics ? { metrics: this.deps.metrics } : {}),
      ...(continuation ? { continuation } : {}),
      ...(this.deps.expiry ? { expiry: this.deps.expiry } : {}),
      recorded: job.data.record,
      logger,
    });
    const ended = new Promise<{ reason: BroadcastEndReason; error?: Error }>((resolve) => pipeline.once('ended', (reason, error) => resolve({ reason, ...(error ? { error } : {}) })));
    const superseded = this.untilSuperseded(job.data, ended);
    void this.followHold(job.data, pipeline, ended);
    await Promise.race([pipeline.onAir, ended, sleep(ON_AIR_TIMEOUT_MS)]);
    if (!pipeline.state.ended) {
      this.#onAir += 1;
      void ended.then(() => (this.#onAir -= 1));
      const { videoPassthrough: passthrough, renditions } = pipeline.state;
      await job.updateProgress({ onAir: true, passthrough, renditions } satisfies IngestProgress);
      await this.deps.status.set(roomId, { state: 'live', on_air: job.data.onAir });
      logger.info({ room_id: roomId, generation, worker_job: job.id, passthrough, renditions }, 'LL-HLS on air');
    }
    const wasSuperseded = await superseded;
    const { reason, error } = wasSuperseded ? { reason: 'superseded' as const, error: undefined } : await ended;
    // Superseded, or the producer went away (the room's director decides in a moment what comes next):
    // the playlists go on in the next run when the director hands them over, else they end here.
    if (wasSuperseded || (reason === 'source-closed' && (await this.untilDecided(job.data)))) {
      if (Number(await this.deps.redis.get(handOverKey(roomId))) === generation) {
        // (if this fails, the next run starts new playlists after HAND_OVER_WAIT_MS)
        await pipeline
          .handOver()
          .then(({ continuation: handed }) => handOverPlaylists(this.deps.redis, roomId, handed))
          .catch(async (err: Error) => {
            // The next run starts new playlists (after HAND_OVER_WAIT_MS): these end here, where they are if need be.
            logger.error({ room_id: roomId, err: err.message }, 'could not hand the LL-HLS playlists over');
            await pipeline.stop('failed', err);
          });
      } else {
        await pipeline.stop();
      }
    } else if (reason === 'source-closed') {
      await pipeline.stop();
    }
    await ended;
    // Only the top rendition is recorded: the others are lower-quality copies of the same stream.
    if (job.data.record) {
      await this.deps.recorder.record(roomId, pipeline.rendition, pipeline.segments).catch((err: Error) => logger.error({ room_id: roomId, err: err.message }, 'could not record the finished stream'));
    }
    if (reason === 'failed') {
      await this.deps.status.set(roomId, { state: 'failed', on_air: null, error: error?.message ?? 'pipeline failed' }).catch(() => {});
      // Thrown so BullMQ runs it again (a new run), unless the room has moved on meanwhile.
      if (await this.isCurrent(job.data)) throw error ?? new Error('LL-HLS pipeline failed');
    }
    return reason;
  }

  /** Ends the room's playlists left live by a run that is gone (endAbandonedPlaylists); a failure costs their players a wait, not this run. */
  private async endAbandoned(roomId: string): Promise<void> {
    try {
      const ended = await endAbandonedPlaylists(this.deps.redis, roomId);
      if (ended.length > 0) this.deps.logger.warn({ room_id: roomId, renditions: ended }, 'ended LL-HLS playlists a run left live');
    } catch (err) {
      this.deps.logger.warn({ room_id: roomId, err: (err as Error).message }, 'could not end the LL-HLS playlists a run left live');
    }
  }

  private async isCurrent(data: IngestJobData): Promise<boolean> {
    return !this.closing && Number(await this.deps.redis.get(generationKey(data.roomId))) === data.generation;
  }

  /** Ends the run's ffmpeg while its video source is held and starts it again once released (see SourceHolds). */
  private async followHold(data: IngestJobData, pipeline: BroadcastPipeline, ended: Promise<unknown>): Promise<void> {
    const id = data.videoProducerId;
    let done = false;
    void ended.then(() => (done = true));
    let parked = false;
    while (!done) {
      const state = await this.holds.state(id).catch(() => undefined);
      try {
        if (state === 'held' && !parked) {
          await pipeline.holdSource();
          await this.holds.parked(id);
          parked = true;
        } else if (parked && state !== 'held' && state !== 'parked' && state !== undefined) {
          // Released (or the hold lapsed): ffmpeg listens again before the publisher sends.
          await pipeline.resumeSource();
          parked = false;
          if (state === 'released') await this.holds.resumed(id);
        }
      } catch (err) {
        this.deps.logger.warn({ room_id: data.roomId, err: (err as Error).message }, 'could not follow the source hold');
      }
      await sleep(HOLD_POLL_MS);
    }
  }

  /** Whether the room moves on to another run (or none) within DECISION_WAIT_MS (else the run is left to end). */
  private untilDecided(data: IngestJobData): Promise<boolean> {
    return this.untilSuperseded(data, sleep(DECISION_WAIT_MS));
  }

  /** Resolves true when the room moved on to another run (or none) or this process is closing; false once the run ended on its own. */
  private async untilSuperseded(data: IngestJobData, ended: Promise<unknown>): Promise<boolean> {
    let done = false;
    void ended.then(() => (done = true));
    while (!done) {
      if (!(await this.isCurrent(data).catch(() => true))) return true;
      await sleep(GENERATION_POLL_MS);
    }
    return false;
  }
}
