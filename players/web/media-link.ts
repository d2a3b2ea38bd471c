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

/**
 * The one transport a publisher or subscriber uses, created at first use: asked of the server in
 * `direction`, connected on demand, then `setup`. A creation that fails is forgotten, so the next use tries again.
 */
export class LazyTransport {
  #transport: Promise<types.Transport> | null = null;

  constructor(
    private readonly link: MediaLink,
    private readonly direction: 'send' | 'recv',
    private readonly setup: (transport: types.Transport) => void = () => {},
  ) {}

  get(): Promise<types.Transport> {
    if (!this.#transport) {
      const created = (async () => {
        const info = await this.link.request('create_transport', { direction: this.direction });
        const options = transportOptions(info, this.link.ice);
        const transport = this.direction === 'send' ? this.link.device.createSendTransport(options) : this.link.device.createRecvTransport(options);
        connectOnDemand(transport, this.link);
        this.setup(transport);
        return transport;
      })();
      this.#transport = created;
      created.catch(() => {
        if (this.#transport === created) this.#transport = null;
      });
    }
    return this.#transport;
  }

  /** The transport, if it was created. */
  async current(): Promise<types.Transport | null> {
    return this.#transport ? this.#transport.catch(() => null) : null;
  }

  /** Closes the transport here only (with what it carries); the next use creates another. */
  drop(): void {
    void this.#transport?.then((t) => t.close()).catch(() => {});
    this.#transport = null;
  }
}
