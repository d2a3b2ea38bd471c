// A recorded feed replayed into the ingress instead of a live ffmpeg: the same packets at the same
// pacing, at a fraction of the encoder's CPU, and on machines without ffmpeg (bench/device/). The
// sender is a child process (bench/lib/rtp-replay-child.ts) so it runs pinned with the load generator.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PublisherTarget } from './ffmpeg-publisher.js';

export class RtpReplay {
  private exited = false;
  private stderrTail = '';

  private constructor(readonly proc: ChildProcess) {
    proc.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-2000);
    });
    proc.on('exit', (code) => {
      this.exited = true;
      if (code !== 0 && code !== null) this.stderrTail += `\n(replay exited with ${code})`;
    });
  }

  /** Starts sending `file` to the ingress; resolves once the sender is up. */
  static async start(file: string, target: PublisherTarget, opts: { pinCpu: number | string | null; nice?: number }): Promise<RtpReplay> {
    // Next to this module in dist/ (and next to the bundle in bench/device/).
    const child = fileURLToPath(new URL('./rtp-replay-child.js', import.meta.url));
    const ports = [target.videoPort, target.videoRtcpPort, target.audioPort, target.audioRtcpPort].map(String);
    let argv = [process.execPath, child, file, ...ports];
    if (opts.nice) argv = ['nice', '-n', String(opts.nice), ...argv];
    if (opts.pinCpu !== null) argv = ['taskset', '-c', String(opts.pinCpu), ...argv];
    const replay = new RtpReplay(spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] }));
    await new Promise<void>((resolve, reject) => {
      replay.proc.stdout?.once('data', () => resolve());
      replay.proc.once('exit', () => reject(new Error(`the RTP replay did not start: ${replay.lastError || '(no output)'}`)));
    });
    return replay;
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get running(): boolean {
    return !this.exited;
  }

  get lastError(): string {
    return this.stderrTail.trim() || (this.exited ? 'the recording ended (shorter than warm-up + window?)' : '');
  }

  async stop(graceMs = 2000): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await done;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.exited) this.proc.kill('SIGKILL');
  }
}
