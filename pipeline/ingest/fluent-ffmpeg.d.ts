// The subset of fluent-ffmpeg 2.1 the ingest uses (the package ships no types; @types is not installed).
declare module 'fluent-ffmpeg' {
  import type { ChildProcess } from 'node:child_process';
  import type { EventEmitter } from 'node:events';
  import type { Writable } from 'node:stream';

  interface FfmpegCommand extends EventEmitter {
    input(source: string): FfmpegCommand;
    inputOptions(options: string[]): FfmpegCommand;
    outputOptions(options: string[]): FfmpegCommand;
    /** Runs ffmpeg with its stdout piped into `stream`. */
    pipe(stream: Writable, options?: { end?: boolean }): Writable;
    kill(signal?: NodeJS.Signals): FfmpegCommand;
    /** The running process, between 'start' and 'end'/'error'. */
    ffmpegProc?: ChildProcess;
    on(event: 'start', listener: (commandLine: string) => void): this;
    on(event: 'stderr', listener: (line: string) => void): this;
    on(event: 'end', listener: () => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
  }

  function ffmpeg(options?: { source?: string; logger?: unknown; stdoutLines?: number }): FfmpegCommand;
  export default ffmpeg;
  export type { FfmpegCommand };
}
