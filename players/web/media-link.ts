import type { Device } from 'mediasoup-client';
import type { types } from 'mediasoup-client';
import type { Method, RequestData, TransportInfo } from '../../src/signaling/protocol.js';
import type { Result } from './signaling-client.js';

/** What the publisher and subscriber need from the live session: its device and its (current) signaling. */
export interface MediaLink {
  readonly device: Device;
  request<M extends Method>(method: M, data: RequestData<M>): Promise<Result<M>>;
  /** Called with every transport created. */
  watch(transport: types.Transport): void;
  /** STUN/TURN servers from the latest join answer (`ice_servers`) and the app's ICE policy, for new transports. */
  readonly ice: TransportIce;
}

/** `iceTransportPolicy: 'relay'` uses TURN only (networks that block UDP to the media ports, tests). */
export interface TransportIce {
  iceServers: RTCIceServer[];
  iceTransportPolicy: RTCIceTransportPolicy;
}

/**
 * The server's transport description as mediasoup-client options. mediasoup 3.12 names a candidate's
 * address `ip`; mediasoup-client 3.24's types want `address` (it reads either).
 */
export function transportOptions(info: TransportInfo, ice: TransportIce): types.TransportOptions {
  const iceCandidates = info.ice_candidates.map((c) => {
    const candidate = c as unknown as types.IceCandidate & { ip?: string };
    return { ...candidate, address: candidate.address ?? candidate.ip ?? '', ip: candidate.ip ?? candidate.address };
  });
  return {
    id: info.id,
    iceParameters: info.ice_parameters as unknown as types.IceParameters,
    iceCandidates,
    dtlsParameters: info.dtls_parameters as unknown as types.DtlsParameters,
    iceServers: ice.iceServers,
    iceTransportPolicy: ice.iceTransportPolicy,
  };
}

/** Wires a transport's `connect` to `connect_transport` and lets the session watch it. */
export function connectOnDemand(transport: types.Transport, link: MediaLink): void {
  link.watch(transport);
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    link
      .request('connect_transport', { transport_id: transport.id, dtls_parameters: dtlsParameters as unknown as Record<string, unknown> })
      .then(() => callback(), errback);
  });
}
