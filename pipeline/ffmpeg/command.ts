import { PassThrough } from 'node:stream';
import type { FfmpegCommand } from 'fluent-ffmpeg';

/** The last line ffmpeg printed before failing: fluent-ffmpeg's error message carries it. */
const firstLine = (err: Error) => err.message.split('\n')[0] ?? 'ffmpeg failed';

/** Runs a command whose output is a file or a URL; resolves when ffmpeg ends. */
export function run(command: FfmpegCommand): Promise<void> {
  return new Promise((resolve, reject) => {
    command.on('error', (err: Error) => reject(new Error(firstLine(err)))).on('end', () => resolve());
    command.run();
  });
}

/** Runs a command whose output is its stdout; resolves with all of it. */
export function collect(command: FfmpegCommand): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    command.on('error', (err: Error) => reject(new Error(firstLine(err)))).on('end', () => resolve(Buffer.concat(chunks)));
    command.pipe(out, { end: true });
  });
}
