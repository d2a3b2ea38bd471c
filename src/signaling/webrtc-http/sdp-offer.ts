// The SDP offer of a WHIP publisher or a WHEP player, read into what the node needs: the peer's ICE
// and DTLS parameters and, per m-line, its codecs, header extensions and streams. Everything a
// client may get wrong is refused here with a reason (SdpRefusal), before anything is created.
import sdpTransform from 'sdp-transform';
import type { MediaDescription, SessionDescription } from 'sdp-transform';
import { SessionRefusal } from './session-refusal.js';

export interface OfferCodec {
  payloadType: number;
  /** `video/H264`, `audio/opus`... (the rtpmap's name, as written). */
  mimeType: string;
  clockRate: number;
  channels?: number;
  parameters: Record<string, string | number>;
  rtcpFeedback: { type: string; parameter: string }[];
}

/** One RTP stream the offerer announces (a=ssrc), with its RTX repair stream (a=ssrc-group:FID). */
export interface OfferStream {
  ssrc: number;
  rtxSsrc?: number;
}

export interface OfferMedia {
  /** Position of the m-line: the answer keeps the same order. */
  index: number;
  mid: string;
  kind: 'audio' | 'video' | 'other';
  /** The m-line's type as written (`application` for a data channel...), for answering it rejected. */
  type: string;
  protocol: string;
  direction: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
  /** In the offerer's order of preference. */
  codecs: OfferCodec[];
  headerExtensions: { id: number; uri: string }[];
  /** Plain streams, or the layers of an a=ssrc-group:SIM in its order. */
  streams: OfferStream[];
  /** RID simulcast layers in the a=simulcast order, with their a=rid restrictions. */
  rids: { rid: string; params: Record<string, string> }[];
  cname?: string;
}

export interface SdpOffer {
  ice: { usernameFragment: string; password: string };
  dtls: { setup: 'actpass' | 'active' | 'passive'; fingerprints: { algorithm: string; value: string }[] };
  media: OfferMedia[];
}

/** Offers larger than this are refused before parsing (the HTTP layer caps bodies at 64 KB too). */
export const MAX_SDP_BYTES = 64 * 1024;

function malformed(reason: string): SessionRefusal {
  return new SessionRefusal('sdp_malformed', `the SDP offer is malformed: ${reason}`);
}

function unsupported(reason: string): SessionRefusal {
  return new SessionRefusal('sdp_unsupported', `the SDP offer cannot be accepted: ${reason}`);
}

/** Parses and checks an offer; throws SessionRefusal (sdp_malformed / sdp_unsupported) with the reason. */
export function parseOffer(text: string): SdpOffer {
  if (Buffer.byteLength(text) > MAX_SDP_BYTES) throw malformed(`larger than ${MAX_SDP_BYTES} bytes`);
  if (!/^v=0\r?\n/.test(text)) throw malformed('it must start with v=0');
  let session: SessionDescription;
  try {
    session = sdpTransform.parse(text);
  } catch (err) {
    throw malformed((err as Error).message);
  }
  if (!session.media?.length) throw malformed('it has no m-line');
  const media = session.media.map((m, index) => readMedia(m, index));
  const mids = new Set<string>();
  for (const m of media) {
    if (mids.has(m.mid)) throw malformed(`mid ${m.mid} appears twice`);
    mids.add(m.mid);
  }
  const rtp = media.filter((m) => m.kind !== 'other');
  if (rtp.length === 0) throw unsupported('it has no audio or video m-line');
  // sdp-transform reads a lone numeric mid as a number.
  const bundle = String(session.groups?.find((g) => g.type === 'BUNDLE')?.mids ?? '').split(' ').filter(Boolean);
  const unbundled = rtp.filter((m) => !bundle.includes(m.mid));
  // One transport per session: every m-line we accept shares it (RFC 9725 requires BUNDLE).
  if (unbundled.length) throw unsupported(`m-line(s) ${unbundled.map((m) => m.mid).join(', ')} are not in an a=group:BUNDLE`);
  const first = session.media[0]!;
  // sdp-transform reads all-digit values as numbers: a ufrag like `5807` must stay the string it was.
  const ufrag = textOf(first.iceUfrag ?? session.iceUfrag);
  const pwd = textOf(first.icePwd ?? session.icePwd);
  if (!ufrag || !pwd) throw unsupported('it has no a=ice-ufrag / a=ice-pwd');
  const fingerprint = first.fingerprint ?? session.fingerprint;
  if (!fingerprint) throw unsupported('it has no a=fingerprint (DTLS-SRTP is required)');
  const setup = first.setup ?? session.setup ?? 'actpass';
  if (setup !== 'actpass' && setup !== 'active' && setup !== 'passive') throw malformed(`a=setup:${setup}`);
  for (const m of session.media) {
    if (m.type !== 'application' && m.rtcpMux !== 'rtcp-mux') throw unsupported(`m-line ${m.mid ?? m.type} does not use a=rtcp-mux`);
  }
  return {
    ice: { usernameFragment: ufrag, password: pwd },
    dtls: { setup, fingerprints: [{ algorithm: fingerprint.type.toLowerCase(), value: fingerprint.hash }] },
    media,
  };
}

function readMedia(m: MediaDescription, index: number): OfferMedia {
  const mid = m.mid === undefined ? undefined : String(m.mid);
  if (!mid) throw malformed(`m-line ${index} has no a=mid`);
  const kind = m.type === 'audio' || m.type === 'video' ? m.type : 'other';
  return {
    index,
    mid,
    kind,
    type: m.type,
    protocol: m.protocol,
    direction: m.direction ?? 'sendrecv',
    codecs: kind === 'other' ? [] : readCodecs(m),
    headerExtensions: (m.ext ?? []).map((e) => ({ id: e.value, uri: e.uri })),
    ...readStreams(m),
    rids: readRids(m),
  };
}

function readCodecs(m: MediaDescription): OfferCodec[] {
  const order = sdpTransform.parsePayloads(String(m.payloads ?? ''));
  const codecs: OfferCodec[] = [];
  for (const pt of order) {
    const rtp = m.rtp.find((r) => r.payload === pt);
    if (!rtp) continue;
    const fmtp = m.fmtp.find((f) => f.payload === pt);
    const parameters: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(fmtp ? sdpTransform.parseParams(fmtp.config) : {})) if (v !== undefined) parameters[k] = v;
    codecs.push({
      payloadType: pt,
      mimeType: `${m.type}/${rtp.codec}`,
      clockRate: rtp.rate ?? 90000,
      ...(m.type === 'audio' ? { channels: rtp.encoding ?? 1 } : {}),
      parameters,
      rtcpFeedback: (m.rtcpFb ?? [])
        .filter((fb) => String(fb.payload) === String(pt) || fb.payload === '*')
        .map((fb) => ({ type: fb.type, parameter: fb.subtype ?? '' })),
    });
  }
  return codecs;
}

function readStreams(m: MediaDescription): Pick<OfferMedia, 'streams' | 'cname'> {
  const ssrcs = [...new Set((m.ssrcs ?? []).map((s) => Number(s.id)))];
  const cname = m.ssrcs?.find((s) => s.attribute === 'cname')?.value;
  const groups = (m.ssrcGroups ?? []).map((g) => ({ semantics: g.semantics, ssrcs: g.ssrcs.split(' ').map(Number) }));
  const rtxOf = new Map<number, number>();
  for (const g of groups) if (g.semantics === 'FID' && g.ssrcs.length === 2) rtxOf.set(g.ssrcs[0]!, g.ssrcs[1]!);
  const repairs = new Set(rtxOf.values());
  const sim = groups.find((g) => g.semantics === 'SIM');
  const primaries = sim ? sim.ssrcs : ssrcs.filter((s) => !repairs.has(s)).slice(0, 1);
  const streams = primaries.map((ssrc) => ({ ssrc, ...(rtxOf.has(ssrc) ? { rtxSsrc: rtxOf.get(ssrc)! } : {}) }));
  return { streams, ...(cname ? { cname } : {}) };
}

function readRids(m: MediaDescription): OfferMedia['rids'] {
  if (!m.simulcast || m.simulcast.dir1 !== 'send') return [];
  const listed = sdpTransform
    .parseSimulcastStreamList(m.simulcast.list1)
    .map((alternatives) => alternatives[0])
    .filter((s): s is { scid: string | number; paused: boolean } => s !== undefined && !s.paused)
    .map((s) => String(s.scid));
  return listed.map((rid) => {
    const declared = (m.rids ?? []).find((r) => String(r.id) === rid && r.direction === 'send');
    const params: Record<string, string> = {};
    for (const part of declared?.params?.split(';') ?? []) {
      const [k, v] = part.split('=');
      if (k && v !== undefined) params[k.trim()] = v.trim();
    }
    return { rid, params };
  });
}

/** An attribute value as the text it was in the SDP (undefined when absent). */
function textOf(value: string | number | undefined): string | undefined {
  return value === undefined ? undefined : String(value);
}
