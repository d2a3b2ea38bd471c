import { randomUUID } from 'node:crypto';
import type { types } from 'mediasoup';
import type { Logger } from '../../common/logger.js';
import type { PipedProducer, ProducerPipe, RouterRef } from '../sfu/producer-pipe.js';
import type { ClusterBus } from './cluster-bus.js';
import { checkPeerAddress, type NodeAddressBook } from './peer-address.js';
import { createPipeTransport, openPipeReplySchema, PIPE, pipeNoticeSchema, type OpenPipeReply, type OpenPipeRequest, type PipeNetwork, type PipeNotice } from './pipe-messages.js';

interface EdgePipe {
  transport: types.PipeTransport;
  producer: types.Producer;
  /** The node holding the original producer. */
  node: string;
}

/**
 * The edge end of a cross-node pipe, behind the same interface as the in-process pipe: a
 * PipeTransport on the edge router, the origin's address and the producer's RTP parameters obtained
 * over the cluster bus, then `produce()` with the original producer id so consumers on the edge
 * name the same producer as on the origin.
 */
export class RemotePipe implements ProducerPipe<RouterRef> {
  private readonly pipes = new Map<string, EdgePipe>();

  constructor(
    private readonly bus: ClusterBus,
    private readonly network: PipeNetwork,
    /** Registered addresses: the origin's reply must name the address its node registered. */
    private readonly addresses: NodeAddressBook,
    private readonly logger: Logger,
    private readonly timeoutMs = 5000,
  ) {
    bus.on(PIPE.closed, pipeNoticeSchema, (body) => this.pipes.get(body.pipeId)?.transport.close());
    bus.on(PIPE.paused, pipeNoticeSchema, (body) => this.pipes.get(body.pipeId)?.producer.pause());
    bus.on(PIPE.resumed, pipeNoticeSchema, (body) => this.pipes.get(body.pipeId)?.producer.resume());
  }

  async pipe(producerId: string, origin: RouterRef, edge: types.Router): Promise<PipedProducer> {
    const pipeId = randomUUID();
    const transport = await createPipeTransport(edge, this.network, this.network.enableSrtp);
    let reply: OpenPipeReply;
    let producer: types.Producer;
    try {
      const request: OpenPipeRequest = {
        pipeId,
        routerId: origin.id,
        producerId,
        ip: transport.tuple.localIp,
        port: transport.tuple.localPort,
        srtp: transport.srtpParameters ?? null,
      };
      reply = await this.bus.request(null, PIPE.open, request, openPipeReplySchema, this.timeoutMs);
      await checkPeerAddress(this.addresses, reply.node, reply.ip);
      await transport.connect({ ip: reply.ip, port: reply.port, ...(reply.srtp ? { srtpParameters: reply.srtp } : {}) });
      producer = await transport.produce({ id: producerId, kind: reply.kind, rtpParameters: reply.rtpParameters, paused: reply.paused });
      this.pipes.set(pipeId, { transport, producer, node: reply.node });
    } catch (err) {
      transport.close();
      // The origin may have opened its end after all (a late answer): let it close it.
      void this.bus.notify(null, PIPE.close, { pipeId } satisfies PipeNotice).catch(() => {});
      throw err;
    }
    // However the edge end goes (closed here, at the origin's word, or with its router), the origin
    // hears of it; a notice about a pipe the origin already closed is harmless.
    transport.observer.once('close', () => {
      this.pipes.delete(pipeId);
      this.bus.notify(reply.node, PIPE.close, { pipeId } satisfies PipeNotice).catch((err: Error) => this.logger.warn({ err: err.message }, 'pipe close notice failed'));
    });
    return { type: producer.type, close: () => transport.close() };
  }

  /** `nodeId` is gone: its producers will send nothing more, so their copies here close. */
  forgetNode(nodeId: string): void {
    for (const pipe of [...this.pipes.values()]) if (pipe.node === nodeId) pipe.transport.close();
  }
}
