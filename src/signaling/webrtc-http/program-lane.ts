import type { types } from 'mediasoup';
import type { WorkerPool } from '../../sfu/worker-pool.js';
import { asksKeyFrame } from './rtp-rewriter.js';

export type Kind = 'audio' | 'video';

/** A codec as a player offered it: its payload type is what the lane's router sends it with. */
export interface LaneCodec {
  kind: Kind;
  mimeType: string;
  payloadType: number;
  clockRate: number;
  channels?: number;
  /** The room router's parameters for the codec (what the program carries). */
  parameters: Record<string, unknown>;
}

export interface LaneSpec {
  codecs: Partial<Record<Kind, LaneCodec>>;
  /** The program's SSRC per kind: the same on every lane. */
  ssrcs: Record<Kind, number>;
}

/** Lanes of the same key serve players that agree on codecs and payload types. */
export function laneKey(codecs: LaneSpec['codecs']): string {
  return (['video', 'audio'] as const).map((k) => (codecs[k] ? `${codecs[k].mimeType}/${codecs[k].payloadType}` : '-')).join('|');
}

/**
 * The on-air program for the WHEP players that numbered their codecs the same way. mediasoup
 * consumers send with their router's payload types, and a WHEP player (the offerer) receives on the
 * ones it offered, so each numbering has a router of its own, made with the player's payload types;
 * the program's packets are written into it through a DirectTransport (one producer per kind, with
 * the program's SSRC), and the players' transports consume there. Key frame requests from the
 * players go back to the program's source.
 */
export class ProgramLane {
  readonly key: string;
  /** Players on this lane. */
  sessions = 0;
  readonly #producers = new Map<Kind, { producer: types.Producer; payloadType: number }>();
  #closed = false;

  private constructor(
    readonly spec: LaneSpec,
    readonly router: types.Router,
    readonly worker: types.Worker,
    private readonly transport: types.DirectTransport,
    private readonly pool: WorkerPool,
  ) {
    this.key = laneKey(spec.codecs);
  }

  static async open(pool: WorkerPool, spec: LaneSpec, onKeyFrameRequest: () => void, avoid: ReadonlySet<types.Worker> = new Set()): Promise<ProgramLane> {
    const worker = pool.leastLoaded(avoid);
    const codecs = (['audio', 'video'] as const).flatMap((k) => (spec.codecs[k] ? [spec.codecs[k]] : []));
    const router = await worker.createRouter({
      mediaCodecs: codecs.map((c) => ({
        kind: c.kind,
        mimeType: c.mimeType,
        clockRate: c.clockRate,
        ...(c.channels ? { channels: c.channels } : {}),
        parameters: c.parameters,
        preferredPayloadType: c.payloadType,
      })),
      appData: { tier: 'whep-lane' },
    });
    pool.addLoad(worker, 1);
    const transport = await router.createDirectTransport();
    const lane = new ProgramLane(spec, router, worker, transport, pool);
    transport.on('rtcp', (packet) => {
      if (asksKeyFrame(packet)) onKeyFrameRequest();
    });
    for (const c of codecs) {
      const producer = await transport.produce({
        kind: c.kind,
        rtpParameters: {
          codecs: [{ mimeType: c.mimeType, payloadType: c.payloadType, clockRate: c.clockRate, ...(c.channels ? { channels: c.channels } : {}), parameters: c.parameters }],
          encodings: [{ ssrc: spec.ssrcs[c.kind] }],
        },
      });
      lane.#producers.set(c.kind, { producer, payloadType: c.payloadType });
    }
    return lane;
  }

  /** The lane's producer of `kind` (what its players consume). */
  producer(kind: Kind): types.Producer | undefined {
    return this.#producers.get(kind)?.producer;
  }

  /** Sends a rewritten program packet to the lane's players, with the lane's payload type. */
  forward(kind: Kind, packet: Buffer): void {
    const own = this.#producers.get(kind);
    if (!own || this.#closed) return;
    // A copy per lane: the channel may still hold the previous lane's buffer when this one is written.
    const copy = Buffer.from(packet);
    copy[1] = (copy[1]! & 0x80) | own.payloadType;
    own.producer.send(copy);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.router.close();
    this.pool.addLoad(this.worker, -1);
  }
}
