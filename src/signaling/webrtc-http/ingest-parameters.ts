import type { types } from 'mediasoup';
import { routerCodecFor, rtxFor, usableFeedback } from './codec-match.js';
import type { OfferCodec, OfferMedia } from './sdp-offer.js';

/** What a WHIP m-line becomes: the producer's RTP parameters and the codecs the answer names. */
export interface IngestPlan {
  rtpParameters: types.RtpParameters;
  /** The chosen codec and its RTX, with the offer's payload types: what the publisher may send. */
  answerCodecs: OfferCodec[];
  headerExtensions: { id: number; uri: string }[];
  /** RID layers the answer accepts (a=rid ... recv, a=simulcast:recv), lowest first. */
  rids: string[];
}

/** Named layer sets whose order is known: lowest first. Anything else keeps the offer's order. */
const LAYER_NAMES = [
  ['q', 'h', 'f'],
  ['l', 'm', 'h'],
  ['low', 'mid', 'high'],
];

/**
 * Maps one offered m-line onto the router: the first codec in the publisher's order that the
 * router has (with its RTX), the header extensions mediasoup understands, and the encodings: RID
 * simulcast layers, an SSRC simulcast group, or one stream. Null when no codec is in common.
 */
export function planIngest(media: OfferMedia, caps: types.RtpCapabilities): IngestPlan | null {
  const codec = media.codecs.find((c) => routerCodecFor(c, caps));
  if (!codec) return null;
  const rtx = rtxFor(media.codecs, codec.payloadType);
  const known = new Set((caps.headerExtensions ?? []).filter((e) => e.kind === media.kind).map((e) => e.uri));
  const headerExtensions = media.headerExtensions.filter((e) => known.has(e.uri));
  const rids = orderLayers(media.rids);
  const encodings: types.RtpEncodingParameters[] = rids.length
    ? rids.map((rid) => ({ rid }))
    : media.streams.length
      ? media.streams.map((s) => ({ ssrc: s.ssrc, ...(rtx && s.rtxSsrc ? { rtx: { ssrc: s.rtxSsrc } } : {}) }))
      : // No SSRC announced: mediasoup matches the stream by its MID header extension.
        [{}];
  const toRtp = (c: OfferCodec): types.RtpCodecParameters => ({
    mimeType: c.mimeType,
    payloadType: c.payloadType,
    clockRate: c.clockRate,
    ...(c.channels !== undefined && media.kind === 'audio' ? { channels: c.channels } : {}),
    parameters: c.parameters,
    rtcpFeedback: usableFeedback(c),
  });
  return {
    rtpParameters: {
      mid: media.mid,
      codecs: [toRtp(codec), ...(rtx ? [toRtp(rtx)] : [])],
      headerExtensions: headerExtensions.map((e) => ({ uri: e.uri, id: e.id })),
      encodings,
      rtcp: { ...(media.cname ? { cname: media.cname } : {}), reducedSize: true },
    },
    answerCodecs: [codec, ...(rtx ? [rtx] : [])].map((c) => ({ ...c, rtcpFeedback: usableFeedback(c) })),
    headerExtensions,
    rids,
  };
}

/**
 * mediasoup wants simulcast encodings lowest first. RFC 8853 orders a=simulcast by preference, but
 * encoders differ, so the order comes from the layers' a=rid restrictions when they have them
 * (max-width, max-height, max-br), else from well-known names, else the offer's order.
 */
function orderLayers(rids: OfferMedia['rids']): string[] {
  const size = (p: Record<string, string>) => Number(p['max-width'] ?? 0) * Number(p['max-height'] ?? 0) || Number(p['max-br'] ?? 0);
  if (rids.length > 1 && rids.every((r) => size(r.params) > 0)) return [...rids].sort((a, b) => size(a.params) - size(b.params)).map((r) => r.rid);
  const names = rids.map((r) => r.rid);
  const known = LAYER_NAMES.find((set) => names.every((n) => set.includes(n)));
  return known ? [...names].sort((a, b) => known.indexOf(a) - known.indexOf(b)) : names;
}
