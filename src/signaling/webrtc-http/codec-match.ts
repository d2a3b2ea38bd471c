import h264 from 'h264-profile-level-id';
import type { types } from 'mediasoup';
import type { OfferCodec } from './sdp-offer.js';

/** Feedback mediasoup acts on; anything else an offer lists is left out of the answer. */
const FEEDBACK = new Set(['nack', 'nack pli', 'ccm fir', 'goog-remb', 'transport-cc']);

const DEFAULT_H264_PROFILE = '42e01f';

function h264Profile(parameters: Record<string, unknown>): number | undefined {
  return h264.parseProfileLevelId(String(parameters['profile-level-id'] ?? DEFAULT_H264_PROFILE))?.profile;
}

/**
 * Whether an offered codec is the router's codec by mediasoup's own strict rules (what
 * `transport.produce()` and `consume()` accept): same type, clock and channels; for H.264 the same
 * packetization mode and profile; for VP9 the same profile-id.
 */
export function sameCodec(offered: OfferCodec, router: types.RtpCodecCapability): boolean {
  const mime = offered.mimeType.toLowerCase();
  if (mime !== router.mimeType.toLowerCase() || offered.clockRate !== router.clockRate) return false;
  if (router.kind === 'audio' && (offered.channels ?? 1) !== (router.channels ?? 1)) return false;
  const theirs = offered.parameters;
  const ours = router.parameters ?? {};
  if (mime === 'video/h264') {
    if (Number(theirs['packetization-mode'] ?? 0) !== Number(ours['packetization-mode'] ?? 0)) return false;
    const profile = h264Profile(theirs);
    return profile !== undefined && profile === h264Profile(ours);
  }
  if (mime === 'video/vp9') return Number(theirs['profile-id'] ?? 0) === Number(ours['profile-id'] ?? 0);
  return true;
}

/** The router codec an offered codec is, if any (never RTX: repair streams follow their codec). */
export function routerCodecFor(offered: OfferCodec, caps: types.RtpCapabilities): types.RtpCodecCapability | undefined {
  return (caps.codecs ?? []).find((c) => !isRtx(c.mimeType) && sameCodec(offered, c));
}

export function isRtx(mimeType: string): boolean {
  return mimeType.toLowerCase().endsWith('/rtx');
}

/** The offered RTX codec repairing `payloadType`, if any. */
export function rtxFor(codecs: readonly OfferCodec[], payloadType: number): OfferCodec | undefined {
  return codecs.find((c) => isRtx(c.mimeType) && Number(c.parameters['apt']) === payloadType);
}

/** The offer's feedback for a codec, limited to what mediasoup acts on. */
export function usableFeedback(codec: OfferCodec): OfferCodec['rtcpFeedback'] {
  return codec.rtcpFeedback.filter((fb) => FEEDBACK.has(fb.parameter ? `${fb.type} ${fb.parameter}` : fb.type));
}
