import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import express from 'express';
import { createApp, SECURITY_HEADERS } from '../api/app.js';
import { expressHttpClasses } from '../api/express-http-classes.js';
import { healthRoutes } from '../api/health-routes.js';
import { observeHttp } from '../api/http-metrics.js';
import { metricsRoute } from '../api/metrics-route.js';
import { ClusterNode } from '../cluster/cluster-node.js';
import { FeedClient } from '../cluster/feed-client.js';
import { iceServersFor, type Config } from '../config.js';
import { clientAddress } from '../../common/client-address.js';
import type { Logger } from '../../common/logger.js';
import { Metrics } from '../../common/metrics.js';
import { WorkerPool } from '../sfu/worker-pool.js';
import { SfuMetrics } from '../sfu/sfu-metrics.js';
import { InProcessPipe } from '../sfu/producer-pipe.js';
import { ChatStore } from '../signaling/chat-store.js';
import { LiveRooms } from '../signaling/live-rooms.js';
import { RoomRelay } from '../signaling/room-relay.js';
import { StagePasses } from '../signaling/stage-passes.js';
import { SignalingServer } from '../signaling/signaling-server.js';
import { JOIN_ATTEMPTS_PER_SOCKET } from '../signaling/protocol.js';
import { SocketGate } from '../signaling/socket-gate.js';
import { HttpSessions } from '../signaling/webrtc-http/http-sessions.js';
import type { Resolver } from '../webhooks/destination-guard.js';
import type { DeliveryLimits, RetryPolicy } from '../webhooks/webhook-dispatcher.js';
import { ObjectStore } from '../../storage/object-store.js';
import { startEmbeddedS3 } from '../../storage/embedded-s3/launch.js';
import { MediaCache } from '../../pipeline/publish/media-cache.js';
import { UploadSpool } from '../../pipeline/publish/upload-spool.js';
import { IngestJobs, type IngestJobsDeps } from '../../pipeline/jobs/ingest-jobs.js';
import { Recorder } from '../../pipeline/recording/recorder.js';
import { ExpiryQueue } from '../../pipeline/publish/expiry-queue.js';
import { BroadcastDirector } from '../hls/broadcast-director.js';
import { HlsAccess } from '../hls/hls-access.js';
import { withHlsFastPath } from '../hls/hls-fast-path.js';
import { withHlsMetrics } from '../hls/hls-metrics.js';
import { HlsOrigin } from '../hls/hls-origin.js';
import { HlsStatusStore } from '../hls/hls-status.js';
import { PlaylistStateHub } from '../hls/playlist-state-hub.js';
import { ChildProcesses } from '../../common/child-processes.js';
import { ControlPlane } from './control-plane.js';
import { EncoderEndpoints } from './encoder-endpoints.js';
import { localOrigin, programOutputs } from './program-outputs.js';
import { DataDir } from '../../common/data-dir.js';
import { devApiKey } from './dev-api-key.js';
import { readNodeMetrics, readProcessMetrics } from './process-metrics.js';
import { connectRedis, redactUrl, startEmbeddedRedis } from './redis.js';

export class PortInUseError extends Error {
  readonly code = 'port_in_use';
}

/** Knobs tests turn that operators do not need. */
export interface StackTuning {
  webhookRetryPolicy?: RetryPolicy;
  webhookDeliveryLimits?: DeliveryLimits;
  /** How webhook hosts are resolved (a test stands in for DNS to play a rebinding attack). */
  webhookResolver?: Resolver;
}

export interface StackSummary {
  url: string;
  role: Config['role'];
  dataDir: string;
  redis: { url: string; embedded: boolean };
  storage: { endpoint: string; bucket: string; embedded: boolean };
  workers: number;
  /** Set when no API key is configured: the generated development key. */
  devApiKey: string | undefined;
}

/**
 * Everything one LevelChat node runs: the external parts it starts (or connects to), the mediasoup
 * workers and the HTTP/WebSocket server. `stop()` undoes all of it, in reverse order.
 */
export class Stack {
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  summary!: StackSummary;
  redis!: Redis;
  store!: ObjectStore;
  workers!: WorkerPool;
  server!: http.Server;
  control!: ControlPlane;
  liveRooms!: LiveRooms;
  cluster!: ClusterNode;
  ingest!: IngestJobs;
  /** This process' metrics: the one registry GET /metrics renders. */
  readonly metrics: Metrics;

  private constructor(private readonly logger: Logger) {
    this.metrics = new Metrics({ onReadError: (metric, err) => logger.warn({ metric, err: (err as Error).message }, 'metric not read') });
  }

  static async start(config: Config, logger: Logger, tuning: StackTuning = {}): Promise<Stack> {
    const stack = new Stack(logger);
    try {
      await stack.startParts(config, tuning);
    } catch (err) {
      await stack.stop();
      throw err;
    }
    return stack;
  }

  private async startParts(config: Config, tuning: StackTuning): Promise<void> {
    const dataDir = DataDir.acquire(config.dataDir);
    this.cleanups.push(() => dataDir.release());
    const children = new ChildProcesses(this.logger);
    this.cleanups.push(() => children.stopAll());

    const redisEndpoint = config.redisUrl
      ? { url: config.redisUrl, embedded: false }
      : await startEmbeddedRedis(children, dataDir, this.logger);
    this.redis = await connectRedis(redisEndpoint.url);
    this.redis.on('error', (err) => this.logger.warn({ err: err.message }, 'redis connection error'));
    this.cleanups.push(async () => {
      await this.redis.quit().catch(() => this.redis.disconnect());
    });

    const s3 = config.s3.endpoint
      ? { endpoint: config.s3.endpoint, accessKey: config.s3.accessKey!, secretKey: config.s3.secretKey! }
      : await startEmbeddedS3(children, dataDir, this.logger);
    this.store = new ObjectStore({ ...s3, bucket: config.s3.bucket, region: config.s3.region });
    await this.store.ensureBucket();

    const pipelineOnly = config.role === 'pipeline';
    if (!pipelineOnly) await this.startSfu(config);

    const devKey = config.apiKeys.length === 0 && !pipelineOnly ? devApiKey(dataDir.root) : undefined;
    this.control = await ControlPlane.start({
      redisUrl: redisEndpoint.url,
      apiKeys: devKey ? [devKey] : config.apiKeys,
      archiveAfterS: config.archiveAfterS,
      logger: this.logger,
      metrics: this.metrics,
      webhookAllowPrivate: config.webhooks.allowPrivate,
      ...(tuning.webhookRetryPolicy ? { retryPolicy: tuning.webhookRetryPolicy } : {}),
      ...(tuning.webhookDeliveryLimits ? { deliveryLimits: tuning.webhookDeliveryLimits } : {}),
      ...(tuning.webhookResolver ? { webhookResolver: tuning.webhookResolver } : {}),
    });
    this.cleanups.push(() => this.control.close());

    const hlsCache = new MediaCache();
    const hlsSpool = await UploadSpool.open({ dir: dataDir.subdir('hls-spool'), store: this.store, logger: this.logger });
    // Registered before the rooms' cleanup, so it runs after it: the directors' last writes go through the spool.
    this.cleanups.push(() => hlsSpool.close(10_000).then(() => undefined));
    const hlsHub = PlaylistStateHub.connect(this.control.redis, this.logger);
    this.cleanups.push(() => hlsHub.close());
    const hlsStatus = new HlsStatusStore(this.control.redis);
    const recorder = new Recorder({
      connection: { url: redisEndpoint.url, maxRetriesPerRequest: null },
      store: this.store,
      recordings: this.control.recordings,
      onReady: async (ready) => {
        const room = await this.control.repository.get(ready.room_id);
        if (room) await this.control.events.emit(room, 'recording.ready', { recording_id: ready.id, duration_s: ready.duration_s, mp4_bytes: ready.mp4_bytes });
      },
      logger: this.logger,
    });
    recorder.startWorker();
    this.cleanups.push(() => recorder.close());
    // Deletes the parts and segments that left the live playlists, whichever node's run planned it.
    const hlsExpiry = new ExpiryQueue({ connection: { url: redisEndpoint.url, maxRetriesPerRequest: null }, store: this.store, logger: this.logger });
    hlsExpiry.startWorker();
    this.cleanups.push(() => hlsExpiry.close());
    // Closed after the rooms (whose directors end their runs) and before the spool (which the runs write through).
    // Where this process's ffmpegs receive RTP, as nodes reach it (and register it for feeds).
    const mediaAddress = config.rtc.announcedIp ?? config.rtc.listenIp;
    const startIngest = (feedsFor: IngestJobsDeps['feedsFor']) => {
      const ingest = new IngestJobs({
        connection: { url: redisEndpoint.url, maxRetriesPerRequest: null },
        redis: this.control.redis,
        store: this.store,
        cache: hlsCache,
        spool: hlsSpool,
        feedsFor,
        listenIp: mediaAddress,
        status: hlsStatus,
        recorder,
        concurrency: config.pipeline.concurrency,
        cadence: config.pipeline.cadence,
        workerName: config.cluster.nodeId,
        metrics: this.metrics,
        expiry: hlsExpiry,
        logger: this.logger,
      });
      if (config.pipeline.concurrency > 0) ingest.startWorker();
      readProcessMetrics(this.metrics, { ingest, spool: hlsSpool });
      this.cleanups.push(() => ingest.close());
      this.ingest = ingest;
      return ingest;
    };

    if (pipelineOnly) {
      const feeds = await FeedClient.connect(this.redis, config.cluster.nodeId, mediaAddress, this.logger);
      this.cleanups.push(() => feeds.close());
      startIngest((routerId) => feeds.feedsFor(routerId));
      const health = express().use(
        observeHttp(this.metrics),
        healthRoutes({ redis: this.redis, store: this.store, logger: this.logger }),
        metricsRoute({ metrics: this.metrics, token: config.metrics.token }),
      );
      this.server = await listen(health, config.http.port, config.http.bind);
      this.cleanups.push(() => closeServer(this.server));
      this.summary = { ...this.endpoints(config, redisEndpoint, s3, dataDir), role: 'pipeline', workers: 0, devApiKey: undefined };
      return;
    }

    const hlsOrigin = new HlsOrigin({ hub: hlsHub, store: this.store, cache: hlsCache, spool: hlsSpool, access: new HlsAccess(this.control.repository, this.control.keys, this.control.revocations) });
    // WHIP/WHEP sessions join the live rooms, made below once the node is in the cluster.
    const webrtcSessions = new HttpSessions({
      live: () => this.liveRooms,
      rooms: this.control.rooms,
      pool: this.workers,
      logger: this.logger,
    });
    // Restreams and thumbnails read the rooms' LL-HLS from this node's own server.
    const program = programOutputs({
      redis: this.control.redis,
      status: hlsStatus,
      minter: this.control.minter,
      repository: this.control.repository,
      events: this.control.events,
      destinations: this.control.destinations,
      nodeId: config.cluster.nodeId,
      localOrigin: () => localOrigin(this.server, config.http.bind),
      logger: this.logger,
    });
    // RTMP and SRT ingest: its API now, its listeners once the live rooms exist.
    const encoders = new EncoderEndpoints({ redis: this.control.redis, config, host: () => new URL(this.publicUrl(config)).hostname.replace(/^\[(.*)\]$/, '$1') });
    const addressOf = clientAddress(config.trustProxy);
    const app = createApp({
      ingests: encoders.service,
      program,
      logger: this.logger,
      redis: this.redis,
      store: this.store,
      workers: this.workers,
      control: this.control,
      publicUrl: config.http.publicUrl,
      rateLimit: config.rateLimit,
      cluster: this.cluster,
      hls: { origin: hlsOrigin, status: hlsStatus },
      webrtc: { sessions: webrtcSessions, iceServers: (user) => iceServersFor(config, user) },
      metrics: this.metrics,
      metricsToken: config.metrics.token,
      clientAddress: addressOf,
    });
    // Most /hls/ requests are answered in front of express (see hls-fast-path.ts).
    this.server = await listen(withHlsMetrics(withHlsFastPath(hlsOrigin, app, SECURITY_HEADERS), this.metrics, addressOf), config.http.port, config.http.bind, expressHttpClasses(app));
    this.cleanups.push(() => closeServer(this.server));
    // Before the server closes: the pushes read from it.
    this.cleanups.push(() => program.restreams.close());
    const url = this.publicUrl(config);
    // Stopped before the HTTP server closes: placement stops choosing this node first.
    await this.cluster.join(url);
    this.cleanups.push(() => this.cluster.stop());
    // After joining: a job may need feeds from routers of other nodes.
    const ingest = startIngest((routerId) => this.cluster.feedsFor(routerId));

    const subscriber = new Redis(redisEndpoint.url, { maxRetriesPerRequest: null, connectionName: 'levelchat-signaling-sub' });
    subscriber.on('error', (err) => this.logger.warn({ err: err.message }, 'redis connection error'));
    this.cleanups.push(() => subscriber.quit().then(() => undefined, () => undefined));
    this.liveRooms = new LiveRooms({
      pool: this.workers,
      pipes: { local: new InProcessPipe(), remote: this.cluster.remotePipe },
      cluster: { id: this.cluster.id, region: config.cluster.region, origin: (roomId, hint) => this.cluster.origin(roomId, hint), nodes: this.cluster.nodes, watch: this.cluster.watch },
      relay: new RoomRelay(this.control.redis, this.cluster.id, this.logger),
      revocations: this.control.revocations,
      repository: this.control.repository,
      rooms: this.control.rooms,
      minter: this.control.minter,
      events: this.control.events,
      chat: new ChatStore(this.control.redis, this.logger),
      questions: this.control.questions,
      attendance: this.control.attendance,
      rtc: config.rtc,
      stage: new StagePasses(this.control.redis),
      iceServers: (identity) => iceServersFor(config, identity),
      directorFor: (room) =>
        new BroadcastDirector({
          roomId: room.id,
          router: room.media.origin.router,
          jobs: ingest,
          status: hlsStatus,
          emit: (type, data) => room.emit(type, data),
          renditions: room.room.config.hls_renditions,
          dvrWindowS: room.room.config.hls_dvr_window_s,
          record: room.room.config.record.enabled,
          logger: this.logger,
        }),
      logger: this.logger,
    });
    await this.liveRooms.listen(subscriber);
    this.liveRooms.watchWorkers();
    const signaling = new SignalingServer(this.liveRooms, this.logger, new SocketGate({ ...config.signaling, joinAttempts: JOIN_ATTEMPTS_PER_SOCKET }), addressOf, this.metrics);
    signaling.attach(this.server);
    readNodeMetrics(this.metrics, { redis: this.control.redis, liveRooms: this.liveRooms, signaling, webhooks: this.control.dispatcher });
    this.cleanups.push(async () => {
      await signaling.close();
      await this.liveRooms.closeAll();
    });
    await encoders.start({ liveRooms: this.liveRooms, minter: this.control.minter, logger: this.logger });
    // Before the rooms close: encoders' participants leave first.
    this.cleanups.push(() => encoders.close());

    this.summary = { ...this.endpoints(config, redisEndpoint, s3, dataDir), role: 'node', workers: this.workers.size, devApiKey: devKey };
  }

  /** Where this process answers: the configured public URL, else the address it listens on. */
  private publicUrl(config: Config): string {
    const { port } = this.server.address() as AddressInfo;
    const host = config.http.bind.includes(':') ? `[${config.http.bind}]` : config.http.bind;
    return config.http.publicUrl ?? `http://${host}:${port}`;
  }

  private endpoints(config: Config, redis: { url: string; embedded: boolean }, s3: { endpoint: string }, dataDir: DataDir): Pick<StackSummary, 'url' | 'dataDir' | 'redis' | 'storage'> {
    return {
      url: this.publicUrl(config),
      dataDir: dataDir.root,
      redis: { url: redactUrl(redis.url), embedded: redis.embedded },
      storage: { endpoint: s3.endpoint, bucket: config.s3.bucket, embedded: !config.s3.endpoint },
    };
  }

  /** The mediasoup workers and this node's place in the cluster (a `node` role only). */
  private async startSfu(config: Config): Promise<void> {
    this.workers = await WorkerPool.create({ ...config.workers, logger: this.logger });
    // Before any router exists: its objects are counted through the workers' observers.
    SfuMetrics.forPool(this.workers).register(this.metrics);
    this.cleanups.push(() => this.workers.close());
    // Before any room opens: the pipe server finds the routers created from now on.
    this.cluster = new ClusterNode({
      redis: this.redis,
      pool: this.workers,
      liveRooms: () => (this.liveRooms ? this.liveRooms.rooms.size : 0),
      nodeId: config.cluster.nodeId,
      region: config.cluster.region,
      network: { listenIp: config.rtc.listenIp, announcedIp: config.rtc.announcedIp, enableSrtp: config.cluster.pipeSrtp },
      logger: this.logger,
    });
  }

  async stop(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'error while stopping');
      }
    }
  }
}

function listen(app: http.RequestListener, port: number, bind: string, options: http.ServerOptions = {}): Promise<http.Server> {
  return new Promise((resolve, reject) => {
    const server = http.createServer(options, app);
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new PortInUseError(`port ${port} on ${bind} is already in use (set PORT)`));
      else if (err.code === 'EADDRNOTAVAIL') reject(new PortInUseError(`cannot bind ${bind}: no such local address (set LEVELCHAT_BIND)`));
      else reject(err);
    });
    server.listen(port, bind, () => resolve(server));
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
