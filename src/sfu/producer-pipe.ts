import type { types } from 'mediasoup';

/** A producer made available on another router: closing it removes the copy, not the original. */
export interface PipedProducer {
  close(): void;
}

/**
 * "Pipe a producer to an edge": the one interface the cascade uses to feed edge routers. Its first
 * implementation pipes between routers of this process; a cross-node one (PipeTransports over the
 * network, negotiated over Redis) will implement the same interface.
 */
export interface ProducerPipe {
  pipe(producerId: string, origin: types.Router, edge: types.Router): Promise<PipedProducer>;
}

/** In-process piping with `router.pipeToRouter()`; pause, resume and close follow the origin. */
export class InProcessPipe implements ProducerPipe {
  async pipe(producerId: string, origin: types.Router, edge: types.Router): Promise<PipedProducer> {
    const { pipeConsumer, pipeProducer } = await origin.pipeToRouter({ producerId, router: edge });
    return {
      close() {
        pipeProducer?.close();
        pipeConsumer?.close();
      },
    };
  }
}
