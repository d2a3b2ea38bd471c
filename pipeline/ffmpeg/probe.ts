import ffmpeg, { type FfprobeData } from 'fluent-ffmpeg';

export interface MediaProbe {
  durationS: number | null;
  video: { codec: string; width: number; height: number } | null;
  audio: { codec: string } | null;
}

/** What ffprobe (through fluent-ffmpeg) finds in a file or URL. */
export function probe(input: string): Promise<MediaProbe> {
  return new Promise((resolve, reject) => {
    ffmpeg.ffprobe(input, (err: Error | null, data: FfprobeData) => {
      if (err) return reject(new Error(`ffprobe could not read the media: ${err.message.split('\n')[0]}`));
      const video = data.streams.find((s) => s.codec_type === 'video');
      const audio = data.streams.find((s) => s.codec_type === 'audio');
      const duration = Number(data.format.duration);
      resolve({
        durationS: Number.isFinite(duration) ? duration : null,
        video: video ? { codec: video.codec_name ?? 'unknown', width: video.width ?? 0, height: video.height ?? 0 } : null,
        audio: audio ? { codec: audio.codec_name ?? 'unknown' } : null,
      });
    });
  });
}
