/** How the ingest turns the publisher's RTP into H.264 + AAC fragmented MP4. */
export interface EncodePlan {
  /** The publisher sends H.264: copy it (no re-encode); its keyframes, which we request, cut the segments. */
  videoPassthrough: boolean;
  hasAudio: boolean;
  /** Seconds between forced keyframes when transcoding (the segment target). */
  keyframeInterval: number;
  /** Transcoded video bitrate, bits per second. */
  videoBitrate: number;
}

/** Reading RTP described by an SDP file; the RTP demuxer only opens what the whitelist allows. */
export function inputOptions(): string[] {
  return [
    ...['-protocol_whitelist', 'file,rtp,udp'],
    // Stream info is known from the first keyframe (SPS) and the first Opus packet; don't wait 5 s for more.
    ...['-analyzeduration', '1000000', '-probesize', '1000000'],
    ...['-fflags', '+genpts'],
  ];
}

/** One moof+mdat per ~200 ms, a new fragment at every keyframe: what FragmentReader and Segmenter expect. */
const FMP4_OUTPUT = ['-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof+cmaf', '-frag_duration', '200000'];

export function outputOptions(plan: EncodePlan): string[] {
  const video = plan.videoPassthrough
    ? ['-c:v', 'copy']
    : [
        ...['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p'],
        // RTP input has a variable frame rate, so keyframes are forced by time rather than by frame count.
        ...['-force_key_frames', `expr:gte(t,n_forced*${plan.keyframeInterval})`, '-sc_threshold', '0'],
        ...['-b:v', String(plan.videoBitrate), '-maxrate', String(plan.videoBitrate), '-bufsize', String(plan.videoBitrate)],
      ];
  const audio = plan.hasAudio ? ['-map', '0:a:0', '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2'] : ['-an'];
  return ['-map', '0:v:0', ...video, ...audio, ...FMP4_OUTPUT];
}
