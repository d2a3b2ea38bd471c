import type { types } from 'mediasoup';
import { z } from 'zod';
import { objectOutline } from '../../common/json-payload.js';

// The bodies below travel on the cluster bus, which parses each with its schema (ClusterBus.on/request).

/** Where this node's PipeTransports listen, and what other nodes are told to send to. */
export interface PipeNetwork {
  listenIp: string;
  announcedIp: string | undefined;
  /** Encrypt media between nodes (both ends must agree: the edge asks, the origin follows). */
  enableSrtp: boolean;
}

const SRTP_CRYPTO_SUITES = ['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const satisfies readonly types.SrtpCryptoSuite[];
const srtpSchema = z.object({ cryptoSuite: z.enum(SRTP_CRYPTO_SUITES), keyBase64: z.string() }).nullable();

/** Edge → every node ("whoever owns this router"): open a pipe of `producerId` towards me. */
export const openPipeRequestSchema = z.object({
  pipeId: z.string(),
  routerId: z.string(),
  producerId: z.string(),
  ip: z.string(),
  port: z.number(),
  srtp: srtpSchema,
});
export type OpenPipeRequest = z.infer<typeof openPipeRequestSchema>;

/** Origin → edge: where to send to and what the piped producer looks like. */
export const openPipeReplySchema = z.object({
  node: z.string(),
  ip: z.string(),
  port: z.number(),
  srtp: srtpSchema,
  kind: z.enum(['audio', 'video']),
  rtpParameters: objectOutline<types.RtpParameters>('RTP parameters'),
  paused: z.boolean(),
});
export type OpenPipeReply = z.infer<typeof openPipeReplySchema>;

/** Both directions: the pipe `pipeId` is gone (or paused/resumed at the origin). */
export const pipeNoticeSchema = z.object({ pipeId: z.string() });
export type PipeNotice = z.infer<typeof pipeNoticeSchema>;

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
