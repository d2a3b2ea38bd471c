// Small /proc readers for benches: per-process CPU and memory, per-CPU machine time, UDP socket
// drops; and renicing every thread of a process.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  /* 100 on every Linux we run on */
}

/** utime+stime of a process in ms (0 when it is gone). */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the "(comm)" part: state is field 3, utime field 14, stime field 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(rest[11]) + Number(rest[12])) * 1000) / clkTck;
  } catch {
    return 0;
  }
}

/** Resident memory of a process in bytes (VmRSS; 0 when it is gone). */
export function processRssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface CpuTimes {
  user: number;
  system: number;
  softirq: number;
  idle: number;
  total: number;
}

/** Per-CPU jiffies from /proc/stat: index 0 is the "cpu" total line, then cpu0, cpu1, ... */
export function machineCpu(): CpuTimes[] {
  const out: CpuTimes[] = [];
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    if (!line.startsWith('cpu')) continue;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
    out.push({ user: user + nice, system: system + irq, softirq, idle: idle + iowait, total: user + nice + system + idle + iowait + irq + softirq + steal });
  }
  return out;
}

/** Busy fractions between two machineCpu() readings, per line. */
export function cpuDelta(a: CpuTimes[], b: CpuTimes[]): { busy: number; user: number; system: number; softirq: number }[] {
  return b.map((end, i) => {
    const start = a[i] ?? end;
    const total = end.total - start.total || 1;
    return {
      busy: 1 - (end.idle - start.idle) / total,
      user: (end.user - start.user) / total,
      system: (end.system - start.system) / total,
      softirq: (end.softirq - start.softirq) / total,
    };
  });
}

/** Kernel drop counters of the IPv4 UDP sockets bound to these local ports (sum per port). */
export function udpDrops(ports: Iterable<number>): Map<number, number> {
  const wanted = new Set(ports);
  const out = new Map<number, number>();
  let text = '';
  try {
    text = readFileSync('/proc/net/udp', 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const local = f[1];
    const drops = f[12];
    if (!local || drops === undefined) continue;
    const port = parseInt(local.split(':')[1] ?? '', 16);
    if (wanted.has(port)) out.set(port, (out.get(port) ?? 0) + Number(drops));
  }
  return out;
}

export function sumDrops(a: Map<number, number>, b: Map<number, number>): number {
  let sum = 0;
  for (const [port, end] of b) sum += end - (a.get(port) ?? 0);
  return sum;
}

/** Gives every thread of `pid` the nice value `nice` (setpriority is per thread on Linux). */
export function reniceThreads(pid: number, nice: number): void {
  for (const tid of readdirSync(`/proc/${pid}/task`)) execFileSync('renice', ['-n', String(nice), '-p', tid], { stdio: 'ignore' });
}
