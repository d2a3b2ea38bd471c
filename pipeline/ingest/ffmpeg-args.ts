import type { HlsRendition } from '../renditions.js';

/** How the ingest turns the publisher's RTP into H.264 + AAC fragmented MP4, one output per rendition. */
export interface EncodePlan {
  /** The publisher sends H.264: `source` copies it (no re-encode); its keyframes, which we request, cut the segments. */
  videoPassthrough: boolean;
  hasAudio: boolean;
  /** Seconds between forced keyframes when transcoding (the segment target). */
  keyframeInterval: number;
  /** Bitrate of `source` when it has to be transcoded, bits per second. */
  videoBitrate: number;
  /** In ladder order; output i is written to fd `outputFd(i)`. */
  renditions: readonly HlsRendition[];
}

/** The scaled rungs of the ladder: height (never above the source's) and bitrate. */
const SCALED: Record<Exclude<HlsRendition, 'source'>, { height: number; videoBitrate: number }> = {
  '720p': { height: 720, videoBitrate: 2_500_000 },
  '360p': { height: 360, videoBitrate: 800_000 },
};

export const AUDIO_BITRATE = 128_000;

/** ffmpeg writes rendition i to its fd 3 + i: extra stdio pipes, so one process receives the RTP once for all of them. */
export const outputFd = (index: number): number => 3 + index;

/** Video bits per second a transcoded rendition aims at; undefined when the publisher's H.264 is copied. */
export function encodedVideoBitrate(plan: EncodePlan, rendition: HlsRendition): number | undefined {
  if (rendition !== 'source') return SCALED[rendition].videoBitrate;
  return plan.videoPassthrough ? undefined : plan.videoBitrate;
}

/**
 * Reading RTP described by an SDP file; the RTP demuxer only opens what the whitelist allows, and
 * binds its sockets to `listenIp` (by default ffmpeg binds every interface).
 */
export function inputOptions(listenIp: string): string[] {
  return [
    ...['-protocol_whitelist', 'file,rtp,udp'],
    ...['-localaddr', listenIp],
    // Stream info is known from the first keyframe (SPS) and the first Opus packet; don't wait 5 s for more.
    ...['-analyzeduration', '1000000', '-probesize', '1000000'],
    ...['-fflags', '+genpts'],
  ];
}

/**
 * A fragment as soon as a track has a second packet (-frag_duration 1 µs): at most one sample of each
 * track per moof+mdat, so the Segmenter can cut parts of whole frames to fit PART-TARGET (ffmpeg's own
 * cut at a longer -frag_duration falls on the first packet past it, of either track, so its fragments
 * cannot fit [0.85, 1] × PART-TARGET). Each sample's duration is known when its fragment is written
 * (checked on live input); frag_every_frame writes before it is (zero durations, then repeated decode
 * times, which MSE resolves by dropping frames).
 */
export const FMP4_OUTPUT = ['-f', 'mp4', '-movflags', 'empty_moov+default_base_moof+cmaf', '-frag_duration', '1'];

function videoOptions(plan: EncodePlan, rendition: HlsRendition): string[] {
  const bitrate = encodedVideoBitrate(plan, rendition);
  if (bitrate === undefined) return ['-c:v', 'copy'];
  const scale = rendition === 'source' ? [] : ['-vf', `scale=-2:'min(${SCALED[rendition].height},ih)'`];
  return [
    ...scale,
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p'],
    // Every rendition keeps the input's timestamps and has its keyframes on the same frames, so their
    // segments (cut at keyframes) line up: the publisher's keyframes when `source` is copied, else
    // keyframes forced by time (RTP input has a variable frame rate, so not by frame count).
    ...['-fps_mode', 'passthrough', '-enc_time_base', '-1'],
    // Counted from the first frame, not from t = 0: the Segmenter's cadence starts at the first keyframe.
    ...['-force_key_frames', plan.videoPassthrough ? 'source' : `expr:if(isnan(prev_forced_t),1,gte(t,prev_forced_t+${plan.keyframeInterval}))`],
    // No keyframe of x264's own (scene cuts, its default GOP): one rendition would cut where the others do not.
    ...['-sc_threshold', '0', '-x264-params', 'keyint=infinite'],
    ...['-b:v', String(bitrate), '-maxrate', String(bitrate), '-bufsize', String(bitrate)],
  ];
}

export function outputOptions(plan: EncodePlan): string[] {
  const audio = plan.hasAudio ? ['-map', '0:a:0', '-c:a', 'aac', '-b:a', String(AUDIO_BITRATE), '-ar', '48000', '-ac', '2'] : ['-an'];
  return plan.renditions.flatMap((rendition, i) => ['-map', '0:v:0', ...videoOptions(plan, rendition), ...audio, ...FMP4_OUTPUT, `pipe:${outputFd(i)}`]);
}
