// A real ffmpeg publisher: H.264 CBR test pattern + Opus over plain RTP into two mediasoup
// PlainTransports (comedia, no rtcp-mux, as in mediasoup's ffmpeg examples).
import { PinnedChild, spawnPinned, type Pinning } from './pinned-child.js';

export const VIDEO_SSRC = 22222222;
export const AUDIO_SSRC = 11111111;
export const VIDEO_PT = 102;
export const AUDIO_PT = 101;

export interface PublisherTarget {
  videoPort: number;
  videoRtcpPort: number;
  audioPort: number;
  audioRtcpPort: number;
}

export interface PublisherOptions extends Pinning {
  /** Safety stop (`-t` before each output): ffmpeg ends by itself even if we never kill it. */
  maxSeconds: number;
  videoKbps: number;
}

export class FfmpegPublisher extends PinnedChild {
  static start(target: PublisherTarget, opts: PublisherOptions): FfmpegPublisher {
    const t = String(Math.ceil(opts.maxSeconds));
    const kbps = `${opts.videoKbps}k`;
    const args = [
      '-hide_banner', '-loglevel', 'error', '-nostdin',
      '-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
      '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      // video: H.264 CBR, keyframe every second, SPS/PPS in-band
      '-map', '0:v:0', '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'baseline',
      '-pix_fmt', 'yuv420p', '-g', '30', '-keyint_min', '30', '-sc_threshold', '0',
      '-b:v', kbps, '-minrate', kbps, '-maxrate', kbps, '-bufsize', kbps, '-x264-params', 'nal-hrd=cbr',
      '-bsf:v', 'dump_extra', '-t', t,
      '-f', 'rtp', '-ssrc', String(VIDEO_SSRC), '-payload_type', String(VIDEO_PT),
      `rtp://127.0.0.1:${target.videoPort}?rtcpport=${target.videoRtcpPort}&pkt_size=1200`,
      // audio: Opus 20 ms frames
      '-map', '1:a:0', '-c:a', 'libopus', '-b:a', '64k', '-ac', '2', '-ar', '48000', '-application', 'lowdelay',
      '-frame_duration', '20', '-t', t,
      '-f', 'rtp', '-ssrc', String(AUDIO_SSRC), '-payload_type', String(AUDIO_PT),
      `rtp://127.0.0.1:${target.audioPort}?rtcpport=${target.audioRtcpPort}&pkt_size=1200`,
    ];
    return FfmpegPublisher.spawn(args, opts);
  }

  /** Runs ffmpeg with `args` (another feed: simulcast, recording), pinned and niced like start(). */
  static spawn(args: string[], pinning: Pinning): FfmpegPublisher {
    return new FfmpegPublisher(spawnPinned(['ffmpeg', ...args], pinning, ['ignore', 'ignore', 'pipe']));
  }
}
