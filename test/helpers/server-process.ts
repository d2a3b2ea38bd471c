import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { projectRoot } from '../../common/compiled-entry.js';

export interface ServerProcess {
  proc: ChildProcess;
  stderr: () => string;
  stdout: () => string;
  /** Resolves with the URL from the start-up banner. */
  ready: Promise<string>;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
}

/** Runs the built server (`node dist/src/main.js`) as `npm start` would after set-up. */
export function startServerProcess(env: Record<string, string>): ServerProcess {
  const proc = spawn(process.execPath, [path.join(projectRoot(), 'dist', 'src', 'main.js')], {
    env: { PATH: process.env.PATH, MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  const ready = new Promise<string>((resolve, reject) => {
    proc.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const m = /LevelChat is up at (\S+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    proc.on('exit', () => reject(new Error(`server exited before ready:\n${err}`)));
  });
  ready.catch(() => {});
  proc.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>((resolve) => {
    proc.on('exit', (code, signal) => resolve({ code, signal, atMs: Date.now() }));
  });
  onTestFinished(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  return { proc, stderr: () => err, stdout: () => out, ready, exited };
}
