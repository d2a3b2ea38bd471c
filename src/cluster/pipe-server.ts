import type { types } from 'mediasoup';
import type { Logger } from '../../common/logger.js';
import { NOT_MINE, type ClusterBus } from './cluster-bus.js';
import { createPipeTransport, openPipeRequestSchema, PIPE, pipeNoticeSchema, type OpenPipeReply, type OpenPipeRequest, type PipeNetwork, type PipeNotice } from './pipe-messages.js';
import { checkPeerAddress, type NodeAddressBook } from './peer-address.js';
import type { RouterDirectory } from './router-directory.js';

interface ServedPipe {
  transport: types.PipeTransport;
  consumer: types.Consumer;
  /** The node of the edge it feeds. */
  edgeNode: string;
}

/**
 * The origin end of cross-node pipes: answers `pipe.open` for routers of this node with a
 * PipeTransport consuming the producer, and tells the edge when the producer pauses, resumes or
 * closes (what `pipeToRouter` does in-process with observers).
 */
export class PipeServer {
  private readonly pipes = new Map<string, ServedPipe>();

  constructor(
    private readonly bus: ClusterBus,
    private readonly routers: RouterDirectory,
    private readonly network: PipeNetwork,
    /** Registered addresses: media is only ever sent to the one the requesting node registered. */
    private readonly addresses: NodeAddressBook,
    private readonly logger: Logger,
  ) {
    bus.on(PIPE.open, openPipeRequestSchema, (body, from) => this.open(body, from));
    bus.on(PIPE.close, pipeNoticeSchema, (body) => this.close(body.pipeId));
  }

  get size(): number {
    return this.pipes.size;
  }

  private async open(request: OpenPipeRequest, edgeNode: string): Promise<OpenPipeReply | typeof NOT_MINE> {
    const router = this.routers.get(request.routerId);
    if (!router) return NOT_MINE;
    await checkPeerAddress(this.addresses, edgeNode, request.ip);
    const transport = await createPipeTransport(router, this.network, request.srtp !== null);
    try {
      await transport.connect({ ip: request.ip, port: request.port, ...(request.srtp ? { srtpParameters: request.srtp } : {}) });
      const consumer = await transport.consume({ producerId: request.producerId });
      this.pipes.set(request.pipeId, { transport, consumer, edgeNode });
      const tell = (type: string) => () =>
        void this.bus.notify(edgeNode, type, { pipeId: request.pipeId } satisfies PipeNotice).catch((err: Error) => this.logger.warn({ err: err.message }, 'pipe notice failed'));
      consumer.observer.on('pause', tell(PIPE.paused));
      consumer.observer.on('resume', tell(PIPE.resumed));
      consumer.observer.once('close', () => {
        if (this.close(request.pipeId)) tell(PIPE.closed)();
      });
      return {
        node: this.bus.nodeId,
        ip: transport.tuple.localIp,
        port: transport.tuple.localPort,
        srtp: transport.srtpParameters ?? null,
        kind: consumer.kind,
        rtpParameters: consumer.rtpParameters,
        paused: consumer.producerPaused,
      };
    } catch (err) {
      transport.close();
      throw err;
    }
  }

  /** `nodeId` is gone: stop sending it media. */
  forgetNode(nodeId: string): void {
    for (const [pipeId, pipe] of [...this.pipes]) if (pipe.edgeNode === nodeId) this.close(pipeId);
  }

  /** Closes the pipe if it is still open; true when this call closed it. */
  private close(pipeId: string): boolean {
    const pipe = this.pipes.get(pipeId);
    if (!pipe) return false;
    this.pipes.delete(pipeId);
    pipe.consumer.close();
    pipe.transport.close();
    return true;
  }
}
