// The C recvmmsg UDP sink (bench/lib/udp-sink.c), compiled with gcc into a temp dir at run time and
// driven over stdin/stdout: it counts RTP packets per source port, i.e. per viewer PlainTransport
// (mediasoup's probation packets apart).
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { projectRoot } from '../../common/compiled-entry.js';
import { pinnedArgv } from './pinned-child.js';

export interface SinkSnapshot {
  /** Date.now()-style wall time when the reply arrived. */
  at: number;
  rtp: number;
  rtcp: number;
  /** mediasoup probation packets (SSRC 1234), not media. */
  probation: number;
  bytes: number;
  /** RTP packets received per source port (cumulative since the last reset). */
  perPort: Map<number, number>;
}

/** BENCH_SINK_POLL_US, default 200 µs; 0 sleeps in epoll (the sink before it polled). */
export function sinkPollUs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.BENCH_SINK_POLL_US;
  const us = raw === undefined || raw === '' ? 200 : Number(raw);
  if (!Number.isInteger(us) || us < 0) throw new Error(`BENCH_SINK_POLL_US=${raw} is not a whole number of microseconds`);
  return us;
}

export class UdpSink {
  private readonly waiters: ((line: string) => void)[] = [];
  private exited = false;

  private constructor(
    readonly proc: ChildProcessWithoutNullStreams,
    private readonly lines: Interface,
    readonly ports: number[],
    private readonly dir: string,
  ) {
    lines.on('line', (line) => this.waiters.shift()?.(line));
    proc.on('exit', () => {
      this.exited = true;
      for (const w of this.waiters.splice(0)) w('');
    });
  }

  /**
   * Compiles the sink and starts it with `sockets` loopback sockets; `pinCpu` runs it under taskset
   * (a CPU or a list such as "2-15"), `nice` under nice. BENCH_UDP_SINK_BIN: a sink built beforehand
   * (for a machine without gcc: bench/device/). BENCH_SINK_POLL_US (200): read every socket that often
   * instead of sleeping on them, so the worker's sends wake nobody (udp-sink.c says why); 0: epoll.
   * `pollUs` overrides it for this sink.
   */
  static async start(sockets: number, pinCpu: number | string | null, nice = 0, pollUs = sinkPollUs()): Promise<UdpSink> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'levelchat-udp-sink-'));
    let bin = process.env.BENCH_UDP_SINK_BIN ?? '';
    if (!bin) {
      const src = path.join(projectRoot(), 'bench', 'lib', 'udp-sink.c');
      if (!existsSync(src)) throw new Error(`${src} is missing`);
      bin = path.join(dir, 'udp-sink');
      try {
        execFileSync('gcc', ['-O2', '-o', bin, src], { stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (err) {
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`gcc failed to build the UDP sink: ${(err as Error).message}`);
      }
    }
    const [cmd, ...args] = pinnedArgv([bin, String(sockets), String(pollUs)], { pinCpu, nice });
    const proc = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    proc.stderr.on('data', (d: Buffer) => process.stderr.write(`[udp-sink] ${d.toString()}`));
    const lines = createInterface({ input: proc.stdout });
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      proc.once('exit', (code) => reject(new Error(`UDP sink exited early (code ${code})`)));
      proc.once('error', reject);
    });
    const ports = first.split(' ').slice(1).map(Number);
    if (first.split(' ')[0] !== 'ports' || ports.length !== sockets) throw new Error(`UDP sink said: ${first}`);
    return new UdpSink(proc, lines, ports, dir);
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  private ask(cmd: string): Promise<string> {
    if (this.exited) return Promise.reject(new Error('UDP sink is not running'));
    return new Promise((resolve, reject) => {
      this.waiters.push((line) => (line ? resolve(line) : reject(new Error('UDP sink exited'))));
      this.proc.stdin.write(cmd + '\n');
    });
  }

  async reset(): Promise<void> {
    await this.ask('r');
  }

  async snapshot(): Promise<SinkSnapshot> {
    const line = await this.ask('s');
    const at = Date.now();
    const parts = line.split(' ');
    if (parts[0] !== 'S') throw new Error(`UDP sink said: ${line.slice(0, 80)}`);
    const perPort = new Map<number, number>();
    for (const pair of parts.slice(6)) {
      const [p, c] = pair.split(':');
      perPort.set(Number(p), Number(c));
    }
    return { at, rtp: Number(parts[1]), rtcp: Number(parts[2]), probation: Number(parts[3]), bytes: Number(parts[4]), perPort };
  }

  stop(): void {
    if (!this.exited) {
      this.proc.stdin.end();
      this.proc.kill('SIGKILL');
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
