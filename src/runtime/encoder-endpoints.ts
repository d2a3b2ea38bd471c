import type { Redis } from 'ioredis';
import type { Logger } from '../../common/logger.js';
import { SourceHolds } from '../../pipeline/jobs/source-hold.js';
import type { TokenMinter } from '../auth/token-minter.js';
import type { Config } from '../config.js';
import { IngestHub } from '../ingest/ingest-hub.js';
import { IngestService } from '../ingest/ingest-service.js';
import { IngestStateStore } from '../ingest/ingest-state.js';
import { IngestStore } from '../ingest/ingest-store.js';
import type { LiveRooms } from '../signaling/live-rooms.js';

export interface EncoderEndpointsOptions {
  redis: Redis;
  config: Config;
  /** The host encoders reach this node at: its public URL's, known once the HTTP server listens. */
  host: () => string;
}

/**
 * A node's RTMP and SRT ingest, wired: the ingest API's service exists from the start (the app is
 * built before the rooms), the listeners once the node's live rooms do (`start`).
 */
export class EncoderEndpoints {
  readonly service: IngestService;
  readonly #store: IngestStore;
  readonly #states: IngestStateStore;
  #hub: IngestHub | null = null;

  constructor(private readonly options: EncoderEndpointsOptions) {
    const { redis, config } = options;
    this.#store = new IngestStore(redis);
    this.#states = new IngestStateStore(redis);
    this.service = new IngestService({
      store: this.#store,
      states: this.#states,
      host: options.host,
      rtmpPort: () => this.#hub?.rtmpPort ?? config.ingest.rtmpPort,
      srt: { nodeId: config.cluster.nodeId, minPort: config.ingest.srtMinPort, maxPort: config.ingest.srtMaxPort },
      hub: () => this.#hub,
    });
  }

  /** Opens the RTMP listener and this node's SRT listeners; encoders join `liveRooms`. */
  async start(deps: { liveRooms: LiveRooms; minter: TokenMinter; logger: Logger }): Promise<void> {
    const { config, redis } = this.options;
    this.#hub = await IngestHub.start({
      store: this.#store,
      states: this.#states,
      holds: new SourceHolds(redis),
      liveRooms: deps.liveRooms,
      minter: deps.minter,
      nodeId: config.cluster.nodeId,
      keyframeInterval: config.pipeline.cadence.segmentTarget,
      rtmp: { bind: config.http.bind, port: config.ingest.rtmpPort },
      srtBind: config.http.bind,
      logger: deps.logger,
    });
  }

  /** Stops the listeners and ends the encoders' sessions (before the live rooms close). */
  async close(): Promise<void> {
    await this.#hub?.close();
  }
}
