// An encoder made of ffmpeg, as OBS or a hardware encoder would publish: a live test pattern and a
// tone, H.264 + AAC, over RTMP (-f flv) or SRT (-f mpegts), to the URL an ingest's API answer gives.
import { spawn } from 'node:child_process';

export interface TestEncoderOptions {
  /** rtmp://host:port/live/<key> or srt://host:port?streamid=<key>&passphrase=<p>. */
  url: string;
  size?: string;
  fps?: number;
  /** Stops by itself after this long; default: runs until stop(). */
  seconds?: number;
  /** B-frames (0: the passthrough case; WebRTC players need none). */
  bframes?: number;
  /** `h264` (libx264), `flv1` (Sorenson H.263: transcoded), `hevc` (libx265: refused over SRT). */
  video?: 'h264' | 'flv1' | 'hevc';
  /** Keyframes every this many seconds. */
  keyframeSeconds?: number;
}

export interface TestEncoder {
  /** Resolves with ffmpeg's exit code (null when it was killed). */
  exited: Promise<number | null>;
  /** ffmpeg's stderr so far. */
  log(): string;
  stop(): Promise<number | null>;
}

function videoArgs(options: TestEncoderOptions, fps: number): string[] {
  const gop = String(Math.round(fps * (options.keyframeSeconds ?? 1)));
  switch (options.video ?? 'h264') {
    case 'flv1':
      return ['-c:v', 'flv1', '-b:v', '1M', '-g', gop];
    case 'hevc':
      return ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', `keyint=${gop}:log-level=error`];
    case 'h264':
      return ['-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p', '-g', gop, '-keyint_min', gop, '-sc_threshold', '0', '-bf', String(options.bframes ?? 0), '-b:v', '2500k'];
  }
}

export function startTestEncoder(options: TestEncoderOptions): TestEncoder {
  const fps = options.fps ?? 30;
  const format = options.url.startsWith('srt:') ? 'mpegts' : 'flv';
  const args = [
    ...['-hide_banner', '-loglevel', 'error', '-nostdin'],
    ...['-re', '-f', 'lavfi', '-i', `testsrc2=size=${options.size ?? '640x360'}:rate=${fps}`],
    ...['-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
    ...(options.seconds ? ['-t', String(options.seconds)] : []),
    ...['-map', '0:v', '-map', '1:a'],
    ...videoArgs(options, fps),
    ...['-c:a', 'aac', '-b:a', '128k', '-ac', '2'],
    ...['-f', format, options.url],
  ];
  const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    exited,
    log: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
}
