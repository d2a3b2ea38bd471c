import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import type { Logger } from './logger.js';

export class ChildStartError extends Error {
  readonly code = 'child_start_failed';
}

export interface SpawnOptions {
  /** Name used in logs and for the pid file (must appear in the process' command line). */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** A line on stdout/stderr that means "ready"; its match is returned. */
  readyLine: RegExp;
  readyTimeoutMs?: number;
  /** Written with the child's pid so a later run can reap it if we crash. */
  pidFile?: string;
}

export interface ManagedChild {
  readonly name: string;
  readonly pid: number;
  readonly ready: RegExpExecArray;
  /** The last lines the child printed, for error messages. */
  readonly tail: () => string;
  stop(): Promise<void>;
}

interface ChildProcessesEvents {
  /** A child exited without being asked to. */
  'unexpected-exit': [name: string, code: number | null, signal: NodeJS.Signals | null];
}

const STOP_GRACE_MS = 2500;

// Every child any ChildProcesses started and that still runs. If this process dies without
// stopping them (an uncaught exception), they die with it instead of lingering as orphans.
const everyChild = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of everyChild) child.kill('SIGKILL');
});

/**
 * The one place that owns the external processes LevelChat starts (redis-server, the embedded S3
 * server, ffmpeg later). Everything started here is stopped by `stopAll()`.
 */
export class ChildProcesses extends EventEmitter<ChildProcessesEvents> {
  private readonly children = new Map<number, { name: string; proc: ChildProcess; pidFile?: string; stopping: boolean }>();

  constructor(private readonly logger: Logger) {
    super();
  }

  get running(): { name: string; pid: number }[] {
    return [...this.children.entries()].map(([pid, c]) => ({ name: c.name, pid }));
  }

  start(options: SpawnOptions): Promise<ManagedChild> {
    const { name, command, args, readyLine, readyTimeoutMs = 15000, pidFile } = options;
    return new Promise((resolve, reject) => {
      const proc = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
      const lines: string[] = [];
      const tail = () => lines.join('\n');
      let settled = false;
      let partial = '';

      const fail = (reason: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        proc.kill('SIGKILL');
        reject(new ChildStartError(`${name} failed to start: ${reason}${lines.length ? `\n${tail()}` : ''}`));
      };
      const timer = setTimeout(() => fail(`not ready after ${readyTimeoutMs} ms`), readyTimeoutMs);

      const onData = (chunk: Buffer) => {
        const parts = (partial + chunk.toString()).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) {
          lines.push(line);
          if (lines.length > 20) lines.shift();
          if (settled) continue;
          const match = readyLine.exec(line);
          if (!match) continue;
          settled = true;
          clearTimeout(timer);
          resolve(this.adopt(name, proc, match, tail, pidFile));
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.on('error', (err) => fail(err.message));
      proc.on('exit', (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
    });
  }

  private adopt(name: string, proc: ChildProcess, ready: RegExpExecArray, tail: () => string, pidFile?: string): ManagedChild {
    const pid = proc.pid!;
    const entry = { name, proc, pidFile, stopping: false };
    this.children.set(pid, entry);
    everyChild.add(proc);
    if (pidFile) writeFileSync(pidFile, String(pid));
    proc.removeAllListeners('exit');
    proc.on('exit', (code, signal) => {
      this.children.delete(pid);
      everyChild.delete(proc);
      if (pidFile) rmSync(pidFile, { force: true });
      if (!entry.stopping) {
        this.logger.error({ child: name, pid, code, signal }, 'child process exited unexpectedly');
        this.emit('unexpected-exit', name, code, signal);
      }
    });
    this.logger.debug({ child: name, pid }, 'child process ready');
    return { name, pid, ready, tail, stop: () => this.stopOne(pid) };
  }

  private stopOne(pid: number): Promise<void> {
    const entry = this.children.get(pid);
    if (!entry) return Promise.resolve();
    entry.stopping = true;
    return new Promise((resolve) => {
      const killTimer = setTimeout(() => entry.proc.kill('SIGKILL'), STOP_GRACE_MS);
      entry.proc.once('exit', () => {
        clearTimeout(killTimer);
        resolve();
      });
      entry.proc.kill('SIGTERM');
    });
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.children.keys()].map((pid) => this.stopOne(pid)));
  }
}
