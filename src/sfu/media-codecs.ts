import type { types } from 'mediasoup';

/** The codecs every LevelChat router offers, in the default order of preference. */
export const MEDIA_CODECS: types.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 1000 } },
  { kind: 'video', mimeType: 'video/VP9', clockRate: 90000, parameters: { 'profile-id': 2, 'x-google-start-bitrate': 1000 } },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1, 'x-google-start-bitrate': 1000 },
  },
];

export type PreferredCodec = 'av1' | 'vp9' | 'vp8' | 'h264';

// mediasoup 3.12 cannot forward AV1 (it arrived in later releases, which cannot be built here), so
// an `av1` room gets the next most efficient codec, VP9.
const MIME_OF: Record<PreferredCodec, string> = { av1: 'video/VP9', vp9: 'video/VP9', vp8: 'video/VP8', h264: 'video/H264' };

/** The router codecs for a room: its preferred video codec first, so clients pick it when they can. */
export function codecsFor(preferred: PreferredCodec): types.RtpCodecCapability[] {
  const mime = MIME_OF[preferred];
  const rank = (c: types.RtpCodecCapability) => (c.kind === 'audio' ? 0 : c.mimeType === mime ? 1 : 2);
  return [...MEDIA_CODECS].sort((a, b) => rank(a) - rank(b));
}
