// The C open-loop HTTP load generator (bench/lib/http-pacer.c), compiled with cc into a temp dir
// once per bench run. Each run() is one process: constant rate, latency from each request's due
// time; its progress lines (stderr) go to a callback, its one-line JSON summary (stdout) is the result.
//
// Where allowed (root or CAP_SYS_NICE), the pacer runs under SCHED_FIFO priority 1 (`chrt -f 1`). On a
// 2-core machine shared with the server, redis-server and its GC threads, a normal-priority pacer
// starts ~1% of its requests ≥ 1 ms late (waiting for a core), and that lateness would be counted as
// server latency; real-time priority makes the send times exact. It costs the server nothing extra:
// the pacer uses the same ~60 µs of CPU per request, only without being queued, and it never spins.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../../common/compiled-entry.js';

export interface PacerRun {
  url: string;
  rate: number;
  durationS: number;
  /** Keep-alive connections opened before the first request. */
  connections: number;
  /** More are opened while all are busy, up to this many. */
  maxConnections: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Every "{seq}" becomes the request's index (0, 1, ...), so each request can carry its own id. */
  bodyTemplate: string;
  /** Prefixes the progress lines. */
  label: string;
}

/** The pacer's summary, as it prints it (latencies in ms, over 2xx responses). */
export interface PacerResult {
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** Requests written ≥ 1 ms after their due time (no free connection, or the pacer ran late). */
  late_starts: number;
  connections_opened: number;
  max_in_flight: number;
  /** From the first due time to the last response. */
  elapsed_s: number;
  /** The pacer's own user+system CPU. */
  cpu_ms: number;
  status: Record<string, number>;
  latency_ms: { p50: number; p90: number; p99: number; p99_9: number; max: number };
}

export class HttpPacer {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    /** Whether runs get SCHED_FIFO priority 1 (see the top of this file). */
    readonly realtime: boolean,
  ) {}

  static build(): HttpPacer {
    const src = path.join(projectRoot(), 'bench', 'lib', 'http-pacer.c');
    if (!existsSync(src)) throw new Error(`${src} is missing`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'levelchat-http-pacer-'));
    const bin = path.join(dir, 'http-pacer');
    try {
      execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-o', bin, src], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`cc failed to build the HTTP pacer: ${(err as Error).message}`);
    }
    const realtime = spawnSync('chrt', ['-f', '1', 'true'], { stdio: 'ignore' }).status === 0;
    return new HttpPacer(bin, dir, realtime);
  }

  run(o: PacerRun, onProgress: (line: string) => void): Promise<PacerResult> {
    const { hostname, port } = new URL(o.url);
    const argv = [
      ...(this.realtime ? ['chrt', '-f', '1'] : []),
      this.bin,
      ...['--host', hostname, '--port', port, '--rate', String(o.rate), '--duration', String(o.durationS)],
      ...['--connections', String(o.connections), '--max-connections', String(o.maxConnections)],
      ...['--method', o.method, '--path', o.path, '--body', o.bodyTemplate, '--label', o.label],
      ...Object.entries(o.headers).flatMap(([name, value]) => ['--header', `${name}: ${value}`]),
    ];
    const proc = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: proc.stderr }).on('line', onProgress);
    let stdout = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    return new Promise((resolve, reject) => {
      proc.once('error', reject);
      proc.once('close', (code) => {
        const summary = stdout.trim().split('\n').pop() ?? '';
        if (code !== 0 || !summary.startsWith('{')) reject(new Error(`HTTP pacer exited with code ${code}: ${summary.slice(0, 200)}`));
        else resolve(JSON.parse(summary) as PacerResult);
      });
    });
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
