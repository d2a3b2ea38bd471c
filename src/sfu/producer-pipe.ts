import type { types } from 'mediasoup';

/** A producer made available on another router: closing it removes the copy, not the original. */
export interface PipedProducer {
  /** The copy's type, the original's (its encodings travel with it): simple, simulcast or svc. */
  readonly type: types.ProducerType;
  close(): void;
}

/** All a cross-node pipe knows of the router holding the producer: its id (its node answers). */
export type RouterRef = Pick<types.Router, 'id'>;

/**
 * "Pipe a producer to an edge": the one interface the cascade uses to feed edge routers, whatever
 * `Source` names the router holding the producer. In-process it is the router itself
 * (`pipeToRouter`); across nodes a router id, piped with PipeTransports negotiated over Redis
 * (cluster/remote-pipe.ts).
 */
export interface ProducerPipe<Source = types.Router> {
  pipe(producerId: string, origin: Source, edge: types.Router): Promise<PipedProducer>;
}

/** How a media room feeds its tiers: from its own origin, and from origins on other nodes. */
export interface MediaPipes {
  local: ProducerPipe;
  /** Absent on a node that is not part of a cluster (tests, benches). */
  remote?: ProducerPipe<RouterRef>;
}

/** In-process piping with `router.pipeToRouter()`; pause, resume and close follow the origin. */
export class InProcessPipe implements ProducerPipe {
  async pipe(producerId: string, origin: types.Router, edge: types.Router): Promise<PipedProducer> {
    const { pipeConsumer, pipeProducer } = await origin.pipeToRouter({ producerId, router: edge });
    // Optional in the typings for data producers only: piping a producer always makes both.
    if (!pipeConsumer || !pipeProducer) {
      pipeConsumer?.close();
      pipeProducer?.close();
      throw new Error(`piping producer ${producerId} made no pipe producer`);
    }
    return {
      type: pipeProducer.type,
      close() {
        pipeProducer.close();
        pipeConsumer.close();
      },
    };
  }
}
