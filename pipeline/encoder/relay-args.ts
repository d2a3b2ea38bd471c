import type { types } from 'mediasoup';
import type { RelayPlan } from './encoder-media.js';

/** Where the relay sends one stream: a PlainTransport's ports, from a local port pair of its own. */
export interface RtpTarget {
  /** The PlainTransport's RTP and RTCP ports on 127.0.0.1. */
  port: number;
  rtcpPort: number;
  /**
   * The relay sends from this port (RTCP from the next): the PlainTransport is connected to it, so
   * a relay started again after the encoder reconnected reaches the same producer, and nothing else
   * on the host can inject packets into it.
   */
  localPort: number;
  ssrc: number;
}

/**
 * The RTP the relay sends, as the producers declare it. H.264 is declared with the router's own
 * profile-level-id: a passed-through stream keeps whatever profile the encoder chose (High, mostly),
 * which browsers decode; mediasoup forwards it without looking inside.
 */
export const RELAY_CODECS = {
  video: {
    mimeType: 'video/H264',
    payloadType: 102,
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
  },
  audio: { mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 },
} as const satisfies Record<'video' | 'audio', types.RtpCodecParameters>;

export const OPUS_BITRATE = 96_000;
/** Bits per second of video the relay encodes (an encoder's codec it cannot pass through). */
export const ENCODED_VIDEO_BITRATE = 2_500_000;

const rtpUrl = (t: RtpTarget) => `rtp://127.0.0.1:${t.port}?localrtpport=${t.localPort}&localrtcpport=${t.localPort + 1}&rtcpport=${t.rtcpPort}&pkt_size=1200`;

function videoOptions(plan: RelayPlan, keyframeInterval: number): string[] {
  // mp4toannexb also puts SPS and PPS (FLV keeps them apart, in its codec configuration) before
  // every keyframe: WebRTC decoders only ever see what is in the RTP.
  if (plan.video === 'copy') return ['-c:v', 'copy', '-bsf:v', 'h264_mp4toannexb'];
  const rate = String(ENCODED_VIDEO_BITRATE);
  return [
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p'],
    // Keyframes on LL-HLS's segment cadence (the segmenter cuts there), by time: FLV frame rates vary.
    ...['-force_key_frames', `expr:gte(t,n_forced*${keyframeInterval})`, '-sc_threshold', '0'],
    ...['-b:v', rate, '-maxrate', rate, '-bufsize', rate],
  ];
}

/**
 * ffmpeg reading the encoder's FLV on stdin and sending each stream as RTP to its PlainTransport:
 * one RTP output per stream (the RTP muxer carries one), with the producers' payload types and SSRCs.
 * `keyframeInterval`: seconds between keyframes when the video is encoded.
 */
export function relayArgs(plan: RelayPlan, targets: { video?: RtpTarget; audio?: RtpTarget }, keyframeInterval: number): string[] {
  // The codecs are known from the FLV's codec configuration: a short probe (0.2 s of media) starts the
  // RTP ~0.8 s sooner than ffmpeg's default, which reads on to measure the frame rate.
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'warning', '-f', 'flv', '-analyzeduration', '200000', '-probesize', '500000', '-i', 'pipe:0'];
  if (plan.video && targets.video) {
    const t = targets.video;
    args.push('-map', '0:v:0', ...videoOptions(plan, keyframeInterval), '-an');
    args.push('-f', 'rtp', '-payload_type', String(RELAY_CODECS.video.payloadType), '-ssrc', String(t.ssrc), rtpUrl(t));
  }
  if (plan.audio && targets.audio) {
    const t = targets.audio;
    args.push('-map', '0:a:0', '-c:a', 'libopus', '-b:a', String(OPUS_BITRATE), '-ar', '48000', '-ac', '2', '-vn');
    args.push('-f', 'rtp', '-payload_type', String(RELAY_CODECS.audio.payloadType), '-ssrc', String(t.ssrc), rtpUrl(t));
  }
  return args;
}
