import ffmpeg from 'fluent-ffmpeg';
import { run } from './command.js';

/**
 * Copies `input` (a VOD playlist of fMP4 segments) into one MP4 with its index first (faststart),
 * re-encoding nothing. One input, one output: a fluent-ffmpeg job.
 */
export function remuxToMp4(input: string, output: string, inputOptions: string[] = []): Promise<void> {
  return run(ffmpeg(input).inputOptions(inputOptions).outputOptions(['-c', 'copy', '-movflags', '+faststart']).output(output).format('mp4'));
}
