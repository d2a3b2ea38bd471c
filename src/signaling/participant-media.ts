import type { types } from 'mediasoup';
import type { ReceiverSlot } from '../sfu/media-room.js';
import type { MediaSource } from './protocol.js';
import { SignalingError } from './signaling-errors.js';

export type TransportDirection = 'send' | 'recv';

export interface OwnTransport {
  transport: types.WebRtcTransport;
  direction: TransportDirection;
  /** Where it sits in the cascade (send transports: the origin, holding no reservation). */
  slot: ReceiverSlot;
}

export interface OwnProducer {
  producer: types.Producer;
  source: MediaSource;
}

export interface OwnConsumer {
  consumer: types.Consumer;
  producerId: string;
  slot: ReceiverSlot;
}

/**
 * What one participant has in the media cascade, and its hard limits: one send and one receive
 * transport, one producer per source (which the participant's capabilities must allow: the
 * caller's check), one consumer per producer (so never more consumers than the room has tracks).
 * A place is taken synchronously, when a request arrives (before its first await), and given back
 * when making fails, so concurrent requests of one participant cannot exceed the limits; what is
 * made after the participant left or lost its media is disposed of, so nothing leaks.
 */
export class ParticipantMedia {
  readonly #transports = new Map<string, OwnTransport>();
  readonly #producers = new Map<string, OwnProducer>();
  readonly #consumers = new Map<string, OwnConsumer>();
  /** Held, made or being made: transport directions, published sources, consumed producer ids. */
  readonly #directions = new Set<TransportDirection>();
  readonly #sources = new Set<MediaSource>();
  readonly #consumed = new Set<string>();
  /** Bumped when everything goes at once (reset, end): what was being made before is not kept. */
  #epoch = 0;
  #ended = false;

  get transports(): ReadonlyMap<string, OwnTransport> {
    return this.#transports;
  }

  get producers(): ReadonlyMap<string, OwnProducer> {
    return this.#producers;
  }

  get consumers(): ReadonlyMap<string, OwnConsumer> {
    return this.#consumers;
  }

  get recvTransport(): OwnTransport | undefined {
    return [...this.#transports.values()].find((t) => t.direction === 'recv');
  }

  transport(id: string): OwnTransport {
    return found(this.#transports.get(id), `no transport ${id} of yours`);
  }

  producer(id: string): OwnProducer {
    return found(this.#producers.get(id), `no producer ${id} of yours`);
  }

  consumer(id: string): OwnConsumer {
    return found(this.#consumers.get(id), `no consumer ${id} of yours`);
  }

  /** Adds the transport `make` opens, unless the participant has (or is opening) one of `direction`. */
  addTransport(direction: TransportDirection, make: () => Promise<OwnTransport>, dispose: (made: OwnTransport) => void): Promise<OwnTransport> {
    const put = (t: OwnTransport) => this.#transports.set(t.transport.id, t);
    return this.#add(this.#directions, direction, `you already have a ${direction} transport`, { make, put, dispose });
  }

  /** Adds the producer `make` opens, unless the participant publishes (or is publishing) `source`. */
  addProducer(source: MediaSource, make: () => Promise<OwnProducer>, dispose: (made: OwnProducer) => void): Promise<OwnProducer> {
    const put = (p: OwnProducer) => this.#producers.set(p.producer.id, p);
    return this.#add(this.#sources, source, `you already publish your ${source}: close that producer first`, { make, put, dispose });
  }

  /** Adds the consumer `make` opens, unless the participant consumes (or is consuming) `producerId`. */
  addConsumer(producerId: string, make: () => Promise<OwnConsumer>, dispose: (made: OwnConsumer) => void): Promise<OwnConsumer> {
    const put = (c: OwnConsumer) => this.#consumers.set(c.consumer.id, c);
    return this.#add(this.#consumed, producerId, `you already consume ${producerId}`, { make, put, dispose });
  }

  /** Forgets a producer (unpublished): its source may be published again. */
  dropProducer(id: string): OwnProducer | undefined {
    const own = take(this.#producers, id);
    if (own) this.#sources.delete(own.source);
    return own;
  }

  /** Forgets a consumer (closed): its producer may be consumed again. */
  dropConsumer(id: string): OwnConsumer | undefined {
    const own = take(this.#consumers, id);
    if (own) this.#consumed.delete(own.producerId);
    return own;
  }

  /**
   * The room's media was lost (a worker died; its producers were unpublished already): the
   * transports and consumers are forgotten and handed back to be closed; the participant may set
   * its media up again.
   */
  reset(): { transports: OwnTransport[]; consumers: OwnConsumer[] } {
    const gone = { transports: [...this.#transports.values()], consumers: [...this.#consumers.values()] };
    this.#epoch += 1;
    for (const m of [this.#transports, this.#producers, this.#consumers]) m.clear();
    for (const s of [this.#directions, this.#sources, this.#consumed]) s.clear();
    return gone;
  }

  /** The participant left (its producers were unpublished already): nothing may be made any more. */
  end(): { transports: OwnTransport[]; consumers: OwnConsumer[] } {
    this.#ended = true;
    return this.reset();
  }

  /** Async, but the place is taken synchronously: before the caller's next await. */
  async #add<K, T>(held: Set<K>, key: K, refusal: string, how: { make: () => Promise<T>; put: (made: T) => void; dispose: (made: T) => void }): Promise<T> {
    if (this.#ended) throw new SignalingError('not_joined', 'you left the room');
    if (held.has(key)) throw new SignalingError('media_limit', refusal);
    held.add(key);
    const epoch = this.#epoch;
    let made: T;
    try {
      made = await how.make();
    } catch (err) {
      if (epoch === this.#epoch) held.delete(key);
      throw err;
    }
    if (epoch !== this.#epoch) {
      // Left, or lost its media, while it was made: nothing of it may stay.
      how.dispose(made);
      throw new SignalingError('media_error', 'your media was reset or closed meanwhile');
    }
    how.put(made);
    return made;
  }
}

/** Removes `id` from `map` and returns what it held, if anything. */
function take<T>(map: Map<string, T>, id: string): T | undefined {
  const own = map.get(id);
  map.delete(id);
  return own;
}

function found<T>(own: T | undefined, refusal: string): T {
  if (!own) throw new SignalingError('not_found', refusal);
  return own;
}
