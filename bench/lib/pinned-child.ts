// A load-generator child process (ffmpeg, the RTP replay) that runs pinned and niced, so the benches
// can keep it off the cores they measure, and that is stopped the same way whatever it is.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';

export interface Pinning {
  /** CPUs for taskset -c (a number or a list such as "2-15"); null: not pinned. */
  pinCpu: number | string | null;
  /** Nice value (0 or unset: unchanged). */
  nice?: number;
}

/** `argv` run under nice and taskset as `pinning` asks. */
export function pinnedArgv(argv: string[], { pinCpu, nice }: Pinning): string[] {
  let pinned = argv;
  if (nice) pinned = ['nice', '-n', String(nice), ...pinned];
  if (pinCpu !== null) pinned = ['taskset', '-c', String(pinCpu), ...pinned];
  return pinned;
}

/** Spawns `argv` pinned and niced. */
export function spawnPinned(argv: string[], pinning: Pinning, stdio: StdioOptions): ChildProcess {
  const [bin, ...args] = pinnedArgv(argv, pinning);
  return spawn(bin!, args, { stdio });
}

export class PinnedChild {
  #exited = false;
  #stderrTail = '';

  protected constructor(readonly proc: ChildProcess) {
    proc.stderr?.on('data', (d: Buffer) => this.note(d.toString()));
    proc.on('exit', () => {
      this.#exited = true;
    });
  }

  /** Adds to what lastError reports (the last 2000 characters of stderr and notes). */
  protected note(text: string): void {
    this.#stderrTail = (this.#stderrTail + text).slice(-2000);
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get running(): boolean {
    return !this.#exited;
  }

  get lastError(): string {
    return this.#stderrTail.trim();
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 2000): Promise<void> {
    if (this.#exited) return;
    const done = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await done;
    clearTimeout(timer);
  }

  /** Synchronous last resort for exit handlers. */
  kill(): void {
    if (!this.#exited) this.proc.kill('SIGKILL');
  }
}
