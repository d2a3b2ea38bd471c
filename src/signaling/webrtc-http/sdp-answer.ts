// The SDP answer of a WHIP or WHEP session: our side of the one bundled WebRtcTransport (ICE-lite,
// DTLS) and, per offered m-line in the offer's order, what we accepted or a rejection (port 0).
import { randomInt } from 'node:crypto';
import type { types } from 'mediasoup';
import sdpTransform from 'sdp-transform';
import type { MediaAttributes, MediaDescription } from 'sdp-transform';
import type { OfferCodec, OfferMedia, SdpOffer } from './sdp-offer.js';

export type AnsweredMedia =
  | { accepted: false }
  | {
      accepted: true;
      direction: 'recvonly' | 'sendonly';
      /** With the offer's payload types. */
      codecs: OfferCodec[];
      headerExtensions: { id: number; uri: string }[];
      /** WHIP simulcast: the RID layers we receive. */
      rids?: string[];
      /** WHEP: the stream we send on this m-line. */
      sends?: { ssrc: number; cname: string; streamId: string; trackId: string };
    };

/** Our side of the transport, as mediasoup created it. */
export interface TransportSide {
  iceParameters: types.IceParameters;
  iceCandidates: types.IceCandidate[];
  dtlsParameters: types.DtlsParameters;
}

/** Our DTLS role: the offerer's `actpass` or `active` makes us the server (passive). */
export function answerSetup(offer: SdpOffer): 'passive' | 'active' {
  return offer.dtls.setup === 'passive' ? 'active' : 'passive';
}

/** The client's DTLS role, for `transport.connect()`. */
export function clientDtlsRole(offer: SdpOffer): 'client' | 'server' {
  return answerSetup(offer) === 'passive' ? 'client' : 'server';
}

export function writeAnswer(offer: SdpOffer, answered: readonly AnsweredMedia[], side: TransportSide): string {
  const fingerprint = side.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256') ?? side.dtlsParameters.fingerprints[0]!;
  const accepted = offer.media.filter((_, i) => answered[i]?.accepted);
  const first = side.iceCandidates[0];
  const connection = { version: first?.ip.includes(':') ? 6 : 4, ip: first?.ip ?? '0.0.0.0' };
  const media: MediaDescription[] = offer.media.map((m, i) => {
    const a = answered[i] ?? { accepted: false as const };
    if (!a.accepted) return rejected(m);
    const description: MediaDescription = {
      type: m.type,
      port: first?.port ?? 9,
      protocol: m.protocol,
      payloads: a.codecs.map((c) => c.payloadType).join(' '),
      connection,
      mid: m.mid,
      direction: a.direction,
      iceUfrag: side.iceParameters.usernameFragment,
      icePwd: side.iceParameters.password,
      fingerprint: { type: fingerprint.algorithm, hash: fingerprint.value },
      setup: answerSetup(offer),
      rtcpMux: 'rtcp-mux',
      rtcpRsize: 'rtcp-rsize',
      rtp: a.codecs.map((c) => ({ payload: c.payloadType, codec: c.mimeType.split('/')[1]!, rate: c.clockRate, ...(c.channels && c.channels > 1 ? { encoding: c.channels } : {}) })),
      fmtp: a.codecs
        .filter((c) => Object.keys(c.parameters).length > 0)
        .map((c) => ({ payload: c.payloadType, config: Object.entries(c.parameters).map(([k, v]) => `${k}=${v}`).join(';') })),
      rtcpFb: a.codecs.flatMap((c) => c.rtcpFeedback.map((fb) => ({ payload: c.payloadType, type: fb.type, ...(fb.parameter ? { subtype: fb.parameter } : {}) }))),
      ext: a.headerExtensions.map((e) => ({ value: e.id, uri: e.uri })),
      candidates: side.iceCandidates.map((c) => ({
        foundation: c.foundation,
        component: 1,
        transport: c.protocol,
        priority: c.priority,
        ip: c.ip,
        port: c.port,
        type: c.type,
        ...(c.tcpType ? { tcptype: c.tcpType } : {}),
      })),
      endOfCandidates: 'end-of-candidates',
      ...(a.rids?.length ? simulcastRecv(a.rids) : {}),
      ...(a.sends ? sending(a.sends) : {}),
    };
    return description;
  });
  return sdpTransform.write({
    version: 0,
    origin: { username: '-', sessionId: String(randomInt(1, 2 ** 48)), sessionVersion: 2, netType: 'IN', ipVer: 4, address: '127.0.0.1' },
    name: '-',
    timing: { start: 0, stop: 0 },
    icelite: 'ice-lite',
    groups: accepted.length ? [{ type: 'BUNDLE', mids: accepted.map((m) => m.mid).join(' ') }] : [],
    msidSemantic: { semantic: 'WMS', token: '*' },
    media,
  });
}

function rejected(m: OfferMedia): MediaDescription {
  return {
    type: m.type,
    port: 0,
    protocol: m.protocol,
    // A rejected m-line still names one format of the offer.
    payloads: m.codecs[0] ? String(m.codecs[0].payloadType) : m.type === 'application' ? 'webrtc-datachannel' : '0',
    connection: { version: 4, ip: '0.0.0.0' },
    mid: m.mid,
    direction: 'inactive',
    rtp: [],
    fmtp: [],
  };
}

function simulcastRecv(rids: string[]): Pick<MediaAttributes, 'rids' | 'simulcast'> {
  return { rids: rids.map((id) => ({ id, direction: 'recv' })), simulcast: { dir1: 'recv', list1: rids.join(';') } };
}

function sending(s: NonNullable<Extract<AnsweredMedia, { accepted: true }>['sends']>): Pick<MediaAttributes, 'msid' | 'ssrcs'> {
  return {
    msid: [{ id: s.streamId, appdata: s.trackId }],
    ssrcs: [
      { id: s.ssrc, attribute: 'cname', value: s.cname },
      { id: s.ssrc, attribute: 'msid', value: `${s.streamId} ${s.trackId}` },
    ],
  };
}
