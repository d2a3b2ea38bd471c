// A server binary the benches and tests run in the foreground on loopback (nginx, varnishd): started
// and waited for until it listens, its processes (the one spawned and its children) for /proc
// readings, stopped by a signal.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { sleep } from './wait.js';

export interface SpawnedServer {
  port: number;
  /** The process spawned (nginx's master, varnishd's manager). */
  masterPid: number;
  /** Its children (nginx's workers, varnishd's cache process). */
  workerPids(): number[];
  stop(): Promise<void>;
  /** For exit handlers: a signal, no waiting. */
  killSync(): void;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

function childrenOf(pid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) pids.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return pids;
}

/**
 * Runs `bin args` until it listens on 127.0.0.1:`port` (10 s at most); if it exits or never listens,
 * throws with its output and the tail of `logFile`.
 */
export async function spawnServer(name: string, bin: string, args: readonly string[], port: number, logFile?: string): Promise<SpawnedServer> {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
  const exitedP = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  child.once('error', (err) => ((out += `\n${err.message}`), (exited = true)));
  for (let i = 0; i < 200 && !exited; i++) {
    if (await portOpen(port)) break;
    await sleep(50);
  }
  if (exited || !(await portOpen(port))) {
    child.kill('SIGKILL');
    let log = '';
    try {
      if (logFile) log = readFileSync(logFile, 'utf8').slice(-2000);
    } catch {
      /* none */
    }
    throw new Error(`${name} did not start: ${out.trim()} ${log.trim()}`);
  }
  const masterPid = child.pid!;
  return {
    port,
    masterPid,
    workerPids: () => childrenOf(masterPid),
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exitedP;
      clearTimeout(timer);
    },
    killSync() {
      if (!exited) child.kill('SIGTERM');
    },
  };
}
