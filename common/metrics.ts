import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type LabelValues } from 'prom-client';

/**
 * Every metric a LevelChat process exports (`GET /metrics`, Prometheus text format): names, help,
 * labels and buckets live here and nowhere else; the README's metrics table lists the same. One
 * `Metrics` per process, made by the composition root and handed down.
 *
 * Two ways in. Events on a hot path (a request answered, an error, a part published) are recorded
 * by the area as one `inc`/`observe` on the typed metric. Levels (rooms, consumers, spool bytes) are
 * not tracked on any path: an area adds a reader to a `ScrapedMetric`, called when Prometheus
 * scrapes, so they cost nothing between scrapes. Label values are always from small fixed sets (no
 * room ids, identities or raw paths).
 */

/** Adds `value` to the metric's sample with these labels (readers of one metric add up). */
export type Add<L extends string> = (value: number, labels?: LabelValues<L>) => void;

/** Reports current values at scrape time. */
export type MetricReader<L extends string> = (add: Add<L>) => void | Promise<void>;

/** What a ScrapedMetric needs of a prom-client Gauge or Counter. */
interface Resettable<L extends string> {
  reset(): void;
  inc(labels: LabelValues<L>, value: number): void;
}

/** A gauge (or a counter kept elsewhere, e.g. by a mediasoup worker) whose samples come from readers at scrape time. */
export class ScrapedMetric<L extends string = string> {
  readonly #readers = new Set<MetricReader<L>>();
  readonly #metric: Resettable<L>;

  /** `make` builds the prom-client metric with the `collect` hook it is given. */
  constructor(
    private readonly name: string,
    make: (collect: () => Promise<void>) => Resettable<L>,
    private readonly onError: (metric: string, err: unknown) => void,
  ) {
    this.#metric = make(() => this.collect());
  }

  /** Adds a source; the returned function removes it (the part it reads is gone). */
  read(reader: MetricReader<L>): () => void {
    this.#readers.add(reader);
    return () => this.#readers.delete(reader);
  }

  /** prom-client calls this before it renders the metric: the samples are what the readers report now. */
  private async collect(): Promise<void> {
    const metric = this.#metric;
    metric.reset();
    const add: Add<L> = (value, labels = {} as LabelValues<L>) => metric.inc(labels, value);
    await Promise.all(
      [...this.#readers].map(async (reader) => {
        try {
          await reader(add);
        } catch (err) {
          // One source that cannot answer (Redis down) leaves its samples out; the scrape goes on.
          this.onError(this.name, err);
        }
      }),
    );
  }
}

/** HTTP latency, seconds: REST answers in a few ms, blocking LL-HLS playlists in up to ~3 s. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** A part is stored and announced within tens of ms; a storage outage spools (still ms), seconds would be a problem. */
const PART_LAG_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** A webhook attempt: connect + response headers, cut at the 10 s deadline. */
const WEBHOOK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Glass to glass at the viewer: WebRTC plays in ~0.1-0.5 s, LL-HLS in ~1-4 s; beyond 10 s a player is lost. */
const VIEWER_LATENCY_BUCKETS = [0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10, 20];

export interface MetricsOptions {
  /** Where a reader that failed is reported (the runtime logs it). */
  onReadError?: (metric: string, err: unknown) => void;
  /** Node's own metrics (event loop lag, GC, heap, CPU); default true. */
  nodeDefaults?: boolean;
}

export class Metrics {
  readonly registry = new Registry();
  readonly #onError: (metric: string, err: unknown) => void;

  // HTTP (src/api)
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status_class'>;
  // Rooms and signaling
  readonly rooms: ScrapedMetric<'state' | 'type'>;
  readonly participants: ScrapedMetric<'role'>;
  readonly signalingConnections: ScrapedMetric<never>;
  readonly signalingErrors: Counter<'code'>;
  // mediasoup (src/sfu)
  readonly sfuWorkers: ScrapedMetric<never>;
  readonly sfuWorkerCpu: ScrapedMetric<'worker'>;
  readonly sfuRouters: ScrapedMetric<never>;
  readonly sfuTransports: ScrapedMetric<never>;
  readonly sfuProducers: ScrapedMetric<never>;
  readonly sfuConsumers: ScrapedMetric<never>;
  readonly sfuForwardedPackets: ScrapedMetric<never>;
  // LL-HLS (src/hls, pipeline/)
  readonly hlsRoomsOnAir: ScrapedMetric<never>;
  readonly hlsPartPublishLag: Histogram<never>;
  readonly hlsRequests: Counter<'kind' | 'status'>;
  readonly hlsViewers: ScrapedMetric<never>;
  readonly ffmpegRestarts: Counter<never>;
  // Webhooks (src/webhooks)
  readonly webhookDeliveries: Counter<'outcome'>;
  readonly webhookDeliveryLatency: Histogram<never>;
  readonly webhookQueueDepth: ScrapedMetric<'state'>;
  readonly webhookEventsDropped: ScrapedMetric<never>;
  // Storage
  readonly storageSpoolBytes: ScrapedMetric<never>;
  // Viewers' players (POST /v1/rooms/{id}/telemetry)
  readonly viewerLatency: Histogram<'delivery'>;
  readonly viewerRebuffers: Counter<'delivery'>;

  constructor(options: MetricsOptions = {}) {
    this.#onError = options.onReadError ?? (() => {});
    const registers = [this.registry];
    this.httpRequestDuration = new Histogram({
      name: 'levelchat_http_request_duration_seconds',
      help: 'HTTP requests answered by express, by method, route template (unmatched: "unmatched") and status class. LL-HLS requests the fast path answers are in levelchat_hls_requests_total.',
      labelNames: ['method', 'route', 'status_class'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    this.rooms = this.gauge('levelchat_rooms', 'Rooms by lifecycle state and type, cluster-wide (every node reports the same counts, kept in Redis with each transition).', ['state', 'type']);
    this.participants = this.gauge('levelchat_participants', 'Participants connected to this node, by role: publisher (may publish: on stage) or viewer (audience).', ['role']);
    this.signalingConnections = this.gauge('levelchat_signaling_connections', 'Open signaling WebSockets on this node.');
    this.signalingErrors = new Counter({ name: 'levelchat_signaling_errors_total', help: 'Signaling requests refused or failed, by error code (internal: our failure).', labelNames: ['code'], registers });
    this.sfuWorkers = this.gauge('levelchat_sfu_workers', 'Live mediasoup workers on this node.');
    this.sfuWorkerCpu = this.counter('levelchat_sfu_worker_cpu_seconds_total', 'CPU time (user + system) of each mediasoup worker, by worker index (a replaced worker starts again from 0).', ['worker']);
    this.sfuRouters = this.gauge('levelchat_sfu_routers', 'mediasoup routers on this node (origins and edges).');
    this.sfuTransports = this.gauge('levelchat_sfu_transports', 'mediasoup transports on this node (WebRTC, pipe and plain).');
    this.sfuProducers = this.gauge('levelchat_sfu_producers', 'mediasoup producers on this node (piped copies included).');
    this.sfuConsumers = this.gauge('levelchat_sfu_consumers', 'mediasoup consumers on this node (pipe and ingest consumers included).');
    this.sfuForwardedPackets = this.counter(
      'levelchat_sfu_forwarded_packets_total',
      'RTP packets sent by the consumers of this node, read from consumer stats in turns (a bounded number of consumers per scrape), so it trails by a few scrapes; use rate() over a minute or more.',
    );
    this.hlsRoomsOnAir = this.gauge('levelchat_hls_rooms_on_air', 'LL-HLS runs on air in this process (one per broadcasting room; sum over processes for the cluster).');
    this.hlsPartPublishLag = new Histogram({
      name: 'levelchat_hls_part_publish_lag_seconds',
      help: 'From a part being cut (ffmpeg output handed to the packager) to the part stored (or spooled) and its playlist update announced in Redis.',
      buckets: PART_LAG_BUCKETS,
      registers,
    });
    this.hlsRequests = new Counter({
      name: 'levelchat_hls_requests_total',
      help: 'LL-HLS origin requests by kind (playlist, blocking, part, segment, init, other) and HTTP status.',
      labelNames: ['kind', 'status'],
      registers,
    });
    this.hlsViewers = this.gauge('levelchat_hls_viewers', 'LL-HLS viewers of this origin, estimated: distinct sessions (playback token, else client address and user agent) that fetched a playlist in the last 30 s.');
    this.ffmpegRestarts = new Counter({ name: 'levelchat_pipeline_ffmpeg_restarts_total', help: 'ffmpeg processes of LL-HLS runs in this process restarted after they died.', registers });
    this.webhookDeliveries = new Counter({
      name: 'levelchat_webhook_deliveries_total',
      help: 'Webhook delivery attempts made by this process, by outcome: delivered, retrying (failed, will retry), dropped (failed, last attempt).',
      labelNames: ['outcome'],
      registers,
    });
    this.webhookDeliveryLatency = new Histogram({
      name: 'levelchat_webhook_delivery_latency_seconds',
      help: "Webhook delivery attempts, from the start of the attempt to the receiver's answer or the failure (10 s deadline).",
      buckets: WEBHOOK_BUCKETS,
      registers,
    });
    this.webhookQueueDepth = this.gauge('levelchat_webhook_queue_depth', 'Webhook delivery jobs in the queue, cluster-wide, by state (waiting, delayed: backing off before a retry, active).', ['state']);
    this.webhookEventsDropped = this.counter(
      'levelchat_webhook_events_dropped_total',
      'Room events not queued for a webhook because its queue for that room was full (a receiver down for long), cluster-wide.',
    );
    this.storageSpoolBytes = this.gauge('levelchat_storage_spool_bytes', "Bytes in this process' LL-HLS upload spool (objects waiting on disk for object storage).");
    this.viewerLatency = new Histogram({
      name: 'levelchat_viewer_latency_seconds',
      help: 'Latency players report (every 5 s each), by delivery: llhls (wall clock minus the PROGRAM-DATE-TIME at the playhead: node ingest to screen), webrtc (SFU to screen: the playout timestamp where the browser gives it, else half the RTT + jitter buffer + decode).',
      labelNames: ['delivery'],
      buckets: VIEWER_LATENCY_BUCKETS,
      registers,
    });
    this.viewerRebuffers = new Counter({ name: 'levelchat_viewer_rebuffers_total', help: 'Stalls players report, by delivery: LL-HLS waiting for data while playing, WebRTC video freezes.', labelNames: ['delivery'], registers });
    if (options.nodeDefaults !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  private gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): ScrapedMetric<L> {
    return new ScrapedMetric<L>(name, (collect) => new Gauge<L>({ name, help, labelNames, registers: [this.registry], collect }), this.#onError);
  }

  /** A counter whose running total is kept elsewhere (a mediasoup worker) and read at scrape time. */
  private counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): ScrapedMetric<L> {
    return new ScrapedMetric<L>(name, (collect) => new Counter<L>({ name, help, labelNames, registers: [this.registry], collect }), this.#onError);
  }
}
