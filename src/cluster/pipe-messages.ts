import type { types } from 'mediasoup';

/** Where this node's PipeTransports listen, and what other nodes are told to send to. */
export interface PipeNetwork {
  listenIp: string;
  announcedIp: string | undefined;
  /** Encrypt media between nodes (both ends must agree: the edge asks, the origin follows). */
  enableSrtp: boolean;
}

/** Edge → every node ("whoever owns this router"): open a pipe of `producerId` towards me. */
export interface OpenPipeRequest {
  pipeId: string;
  routerId: string;
  producerId: string;
  ip: string;
  port: number;
  srtp: types.SrtpParameters | null;
}

/** Origin → edge: where to send to and what the piped producer looks like. */
export interface OpenPipeReply {
  node: string;
  ip: string;
  port: number;
  srtp: types.SrtpParameters | null;
  kind: types.MediaKind;
  rtpParameters: types.RtpParameters;
  paused: boolean;
}

/** Both directions: the pipe `pipeId` is gone (or paused/resumed at the origin). */
export interface PipeNotice {
  pipeId: string;
}

export const PIPE = {
  open: 'pipe.open',
  /** Edge → origin: the edge no longer needs the pipe. */
  close: 'pipe.close',
  /** Origin → edge: the producer closed, paused or resumed. */
  closed: 'pipe.closed',
  paused: 'pipe.paused',
  resumed: 'pipe.resumed',
} as const;

/** RTX and NACK: worth it between hosts, where packets get lost (both ends must enable it). */
export function createPipeTransport(router: types.Router, network: PipeNetwork, enableSrtp: boolean): Promise<types.PipeTransport> {
  return router.createPipeTransport({
    listenIp: { ip: network.listenIp, ...(network.announcedIp ? { announcedIp: network.announcedIp } : {}) },
    enableRtx: true,
    enableSrtp,
  });
}
