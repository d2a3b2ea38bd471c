import type { types } from 'mediasoup';
import type { Logger } from '../../common/logger.js';
import { codecsFor, type PreferredCodec } from './media-codecs.js';
import type { MediaPipes, PipedProducer, RouterRef } from './producer-pipe.js';
import type { WorkerPool } from './worker-pool.js';

/** A router that serves consumers: the origin itself, or an edge fed through pipes. */
export interface Tier {
  router: types.Router;
  worker: types.Worker;
  isOrigin: boolean;
  /** Receive transports placed here. */
  transports: number;
  consumers: number;
  /** Consumers that placed receivers are expected to add soon (so a burst of joins does not overfill). */
  reserved: number;
  /** Producers piped in from the origin, with how many consumers use each. */
  pipes: Map<string, TierPipe>;
}

interface TierPipe {
  piped: PipedProducer | null;
  consumers: number;
  /** Settles once the producer is on the tier (at once on the origin itself). */
  ready: Promise<void>;
}

/** A receiver's place in the cascade: its tier and the consumer slots it still holds there. */
export interface ReceiverSlot {
  tier: Tier;
  reserved: number;
}

export interface MediaRoomOptions {
  roomId: string;
  preferredCodec: PreferredCodec;
  /** An edge (or the origin) taking this many consumers is full; the next viewer opens a new edge. */
  consumersPerRouter: number;
}

/**
 * One room's media on this node: an origin router holding every producer, on the least-loaded
 * worker, and edge routers on other workers that consumers attach to. A small room lives on its
 * origin alone until it fills up. Edges close when their last transport leaves; the whole thing
 * closes when the room goes idle, so an idle room holds no router.
 */
export class MediaRoom {
  private readonly tiers = new Map<string, Tier>();
  private closed = false;

  private constructor(
    readonly options: MediaRoomOptions,
    readonly origin: Tier,
    private readonly pool: WorkerPool,
    private readonly pipes: MediaPipes,
    private readonly logger: Logger,
  ) {
    this.tiers.set(origin.router.id, origin);
  }

  static async open(options: MediaRoomOptions, pool: WorkerPool, pipes: MediaPipes, logger: Logger): Promise<MediaRoom> {
    const worker = pool.leastLoaded();
    const router = await worker.createRouter({ mediaCodecs: codecsFor(options.preferredCodec), appData: { roomId: options.roomId, tier: 'origin' } });
    pool.addLoad(worker, 1);
    logger.debug({ room_id: options.roomId, router_id: router.id, worker_pid: worker.pid }, 'origin router opened');
    return new MediaRoom(options, { router, worker, isOrigin: true, transports: 0, consumers: 0, reserved: 0, pipes: new Map() }, pool, pipes, logger);
  }

  get rtpCapabilities(): types.RtpCapabilities {
    return this.origin.router.rtpCapabilities;
  }

  get allTiers(): readonly Tier[] {
    return [...this.tiers.values()];
  }

  tierOf(routerId: string): Tier | undefined {
    return this.tiers.get(routerId);
  }

  /**
   * Where a new receiving participant goes: the least-busy tier with room for the consumers it is
   * expected to open, else a new edge on a worker the room does not use yet, else (every worker
   * busy) the least-busy tier. The expected consumers are reserved at once.
   */
  async placeReceiver(expectedConsumers = 1): Promise<ReceiverSlot> {
    const expected = Math.max(1, expectedConsumers);
    const open = this.allTiers
      .filter((t) => busy(t) === 0 || busy(t) + expected <= this.options.consumersPerRouter)
      .sort((a, b) => busy(a) - busy(b) || this.pool.loadOf(a.worker) - this.pool.loadOf(b.worker));
    const tier = open[0] ?? (await this.openEdge()) ?? this.leastBusyTier();
    tier.transports += 1;
    tier.reserved += expected;
    return { tier, reserved: expected };
  }

  releaseReceiver(slot: ReceiverSlot): void {
    const { tier } = slot;
    tier.transports = Math.max(0, tier.transports - 1);
    tier.reserved = Math.max(0, tier.reserved - slot.reserved);
    slot.reserved = 0;
    this.closeEdgeIfIdle(tier);
  }

  /**
   * Makes `producerId` consumable on the slot's tier, piping it there on first use: from this
   * room's origin router, or from `remoteOrigin` when the producer lives on another node. Resolves
   * to the copy on the tier (its type), or null on the origin itself (where the caller has the producer).
   */
  async attachConsumer(slot: ReceiverSlot, producerId: string, remoteOrigin?: RouterRef): Promise<Pick<PipedProducer, 'type'> | null> {
    const { tier } = slot;
    let pipe = tier.pipes.get(producerId);
    if (!pipe) {
      const entry: TierPipe = { piped: null, consumers: 0, ready: Promise.resolve() };
      if (remoteOrigin || !tier.isOrigin) {
        entry.ready = (remoteOrigin ? this.remotePipe().pipe(producerId, remoteOrigin, tier.router) : this.pipes.local.pipe(producerId, this.origin.router, tier.router)).then(
          (piped) => {
            entry.piped = piped;
          },
          (err: unknown) => {
            if (tier.pipes.get(producerId) === entry) tier.pipes.delete(producerId);
            throw err;
          },
        );
      }
      tier.pipes.set(producerId, entry);
      pipe = entry;
    }
    // Consumers racing the first one wait for the same pipe rather than consume before it exists.
    await pipe.ready;
    pipe.consumers += 1;
    tier.consumers += 1;
    if (slot.reserved > 0) {
      slot.reserved -= 1;
      tier.reserved = Math.max(0, tier.reserved - 1);
    }
    this.pool.addLoad(tier.worker, 1);
    return pipe.piped;
  }

  /** A consumer on the slot's tier closed: the pipe goes with the producer's last consumer there. */
  detachConsumer(slot: ReceiverSlot, producerId: string): void {
    const { tier } = slot;
    const pipe = tier.pipes.get(producerId);
    if (!pipe) return;
    pipe.consumers -= 1;
    tier.consumers = Math.max(0, tier.consumers - 1);
    this.pool.addLoad(tier.worker, -1);
    if (pipe.consumers <= 0) {
      pipe.piped?.close();
      tier.pipes.delete(producerId);
    }
    this.closeEdgeIfIdle(tier);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const tier of this.tiers.values()) {
      this.pool.addLoad(tier.worker, -(1 + tier.consumers));
      tier.router.close();
    }
    this.tiers.clear();
    this.logger.debug({ room_id: this.options.roomId }, 'media room closed');
  }

  /**
   * A new edge on a worker this room does not use yet, or undefined when every worker has a tier:
   * a piped producer keeps its id, so one worker can hold only one copy of it.
   */
  private async openEdge(): Promise<Tier | undefined> {
    const used = new Set(this.allTiers.map((t) => t.worker));
    if (this.pool.all.every((w) => used.has(w))) return undefined;
    const worker = this.pool.leastLoaded(used);
    const router = await worker.createRouter({ mediaCodecs: codecsFor(this.options.preferredCodec), appData: { roomId: this.options.roomId, tier: 'edge' } });
    this.pool.addLoad(worker, 1);
    const tier: Tier = { router, worker, isOrigin: false, transports: 0, consumers: 0, reserved: 0, pipes: new Map() };
    this.tiers.set(router.id, tier);
    this.logger.debug({ room_id: this.options.roomId, router_id: router.id, worker_pid: worker.pid }, 'edge router opened');
    return tier;
  }

  private remotePipe() {
    if (!this.pipes.remote) throw new Error('this node is not part of a cluster: it cannot pipe from other nodes');
    return this.pipes.remote;
  }

  private leastBusyTier(): Tier {
    return this.allTiers.reduce((best, t) => (busy(t) < busy(best) ? t : best));
  }

  private closeEdgeIfIdle(tier: Tier): void {
    if (tier.isOrigin || tier.transports > 0 || tier.consumers > 0) return;
    for (const pipe of tier.pipes.values()) pipe.piped?.close();
    tier.router.close();
    this.tiers.delete(tier.router.id);
    this.pool.addLoad(tier.worker, -1);
  }
}

/** Consumers a tier carries or has promised. */
function busy(t: Tier): number {
  return t.consumers + t.reserved;
}
