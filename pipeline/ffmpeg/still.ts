import ffmpeg from 'fluent-ffmpeg';
import { collect } from './command.js';

export interface StillOptions {
  /** Width of the JPEG in pixels; the height follows the picture's aspect ratio (rounded to even). Default: the source's size. */
  width?: number;
  /** Seconds into the input (a recording's poster); default: its first picture. */
  atS?: number;
  /** Options for reading the input (an HLS playlist's protocol whitelist, live start ...). */
  inputOptions?: string[];
  /** ffmpeg is killed after this long. */
  timeoutS?: number;
}

/**
 * One picture of a video as a JPEG: a live room's thumbnail (from its LL-HLS stream) or a
 * recording's poster (from its MP4). One input, one output: a fluent-ffmpeg job.
 */
export function grabStill(input: string, options: StillOptions = {}): Promise<Buffer> {
  const command = ffmpeg(input, { timeout: options.timeoutS ?? 20 })
    .inputOptions([...(options.atS ? ['-ss', String(options.atS)] : []), ...(options.inputOptions ?? [])])
    .noAudio()
    .frames(1)
    .videoCodec('mjpeg')
    .outputOptions(['-q:v', '4', '-pix_fmt', 'yuvj420p'])
    .format('image2pipe');
  if (options.width) command.videoFilters(`scale=${options.width}:-2`);
  return collect(command);
}
