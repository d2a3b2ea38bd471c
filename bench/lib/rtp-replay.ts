// A recorded feed replayed into the ingress instead of a live ffmpeg: the same packets at the same
// pacing, at a fraction of the encoder's CPU, and on machines without ffmpeg (bench/device/). The
// sender is a child process (bench/lib/rtp-replay-child.ts) so it runs pinned with the load generator.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PublisherTarget } from './ffmpeg-publisher.js';
import { PinnedChild, spawnPinned, type Pinning } from './pinned-child.js';

export class RtpReplay extends PinnedChild {
  private constructor(proc: ChildProcess) {
    super(proc);
    proc.on('exit', (code) => {
      if (code !== 0 && code !== null) this.note(`\n(replay exited with ${code})`);
    });
  }

  /** Starts sending `file` to the ingress; resolves once the sender is up. */
  static async start(file: string, target: PublisherTarget, pinning: Pinning): Promise<RtpReplay> {
    // Next to this module in dist/ (and next to the bundle in bench/device/).
    const child = fileURLToPath(new URL('./rtp-replay-child.js', import.meta.url));
    const ports = [target.videoPort, target.videoRtcpPort, target.audioPort, target.audioRtcpPort].map(String);
    const replay = new RtpReplay(spawnPinned([process.execPath, child, file, ...ports], pinning, ['pipe', 'pipe', 'pipe']));
    await new Promise<void>((resolve, reject) => {
      replay.proc.stdout?.once('data', () => resolve());
      replay.proc.once('exit', () => reject(new Error(`the RTP replay did not start: ${replay.lastError || '(no output)'}`)));
    });
    return replay;
  }

  override get lastError(): string {
    return super.lastError || (this.running ? '' : 'the recording ended (shorter than warm-up + window?)');
  }
}
