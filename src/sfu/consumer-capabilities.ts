import type { types } from 'mediasoup';

/** The RTP header extensions a send-side bandwidth estimate runs on: transport-cc's and REMB's. */
const ESTIMATE_HEADER_EXTENSIONS = new Set(['http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01', 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time']);
/** The RTCP feedback that carries it back (NACK, PLI and FIR are not part of it and stay). */
const ESTIMATE_FEEDBACK = new Set(['transport-cc', 'goog-remb']);

/** `caps` less what a bandwidth estimate needs: no transport-wide-cc / abs-send-time, no transport-cc / goog-remb feedback. */
export function withoutBandwidthEstimate(caps: types.RtpCapabilities): types.RtpCapabilities {
  return {
    ...caps,
    codecs: (caps.codecs ?? []).map((c) => ({ ...c, rtcpFeedback: (c.rtcpFeedback ?? []).filter((fb) => !ESTIMATE_FEEDBACK.has(fb.type)) })),
    headerExtensions: (caps.headerExtensions ?? []).filter((h) => !ESTIMATE_HEADER_EXTENSIONS.has(h.uri)),
  };
}

/**
 * What a viewer's consumer of `producer` negotiates: the viewer's capabilities, less the bandwidth
 * estimate when the producer has a single layer (mediasoup's `simple` type: one encoding, no
 * spatial or temporal layers). The estimate only serves to choose simulcast/SVC layers and to probe
 * for them; a single-layer stream is forwarded whole whatever it says, so for a viewer of such
 * streams only it is pure worker CPU (bench/README.md, webrtc-viewers). mediasoup 3.12.16 starts a transport's estimate (its TransportCongestionControlClient,
 * worker/src/RTC/Transport.cpp) with the first *video* consumer that negotiated transport-wide-cc
 * plus transport-cc feedback, or abs-send-time plus goog-remb; without them the viewer's transport
 * runs none, and the browser sends no transport-cc feedback and no REMB.
 *
 * One transport with both kinds (a simulcast camera and a single-layer screen share) stays
 * correct: the layered consumer starts the estimate, and from then on the transport numbers every
 * video packet it sends, whichever consumer it comes from (the Producer puts the transport-wide-cc
 * extension in every video packet, Transport::OnConsumerSendRtpPacket numbers it), so the estimate
 * sees all the bytes; the single-layer consumer's bitrate is counted in the allocation (mediasoup
 * manages every consumer of the transport once it estimates) and never cut. Chromium reports
 * feedback for those packets too (checked with Chromium 156: one transport, one consumer with
 * transport-cc and one without, no loss reported and the same estimate as with both negotiating),
 * so nothing reads as lost. Audio changes nothing either way: mediasoup neither numbers outbound
 * audio packets nor starts an estimate for an audio consumer.
 *
 * `producer` undefined (not known here) keeps the estimate: the safe side.
 */
export function consumerCapabilities(producer: Pick<types.Producer, 'type'> | undefined, caps: types.RtpCapabilities): types.RtpCapabilities {
  return producer?.type === 'simple' ? withoutBandwidthEstimate(caps) : caps;
}
