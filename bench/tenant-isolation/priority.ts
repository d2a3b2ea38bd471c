// How the bench's own processes are scheduled. On a shared machine the others' work (tests,
// browsers, builds: often more than the cores) sits in front of our processes whenever they wake,
// and tail latencies then measure the machine. Where allowed (root or CAP_SYS_NICE) every thread of
// our processes runs under SCHED_RR priority 1 (`chrt -r 1`), as the rooms-create bench's pacer
// runs under SCHED_FIFO: they run as soon as they are ready. They use well under a core in all, and
// the kernel keeps 5% of each second for everyone else anyway (sched_rt_runtime_us).
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

export type Priority = 'realtime' | 'normal';

/** `realtime` when BENCH_REALTIME is not 0 and chrt is permitted here. */
export function choosePriority(): Priority {
  if (process.env.BENCH_REALTIME === '0') return 'normal';
  return spawnSync('chrt', ['-r', '1', 'true'], { stdio: 'ignore' }).status === 0 ? 'realtime' : 'normal';
}

/** Puts every thread of `pid` under SCHED_RR 1 (threads made later inherit it from their creator). */
export function raise(pid: number, priority: Priority): void {
  if (priority !== 'realtime' || !pid) return;
  for (const tid of readdirSync(`/proc/${pid}/task`)) execFileSync('chrt', ['-r', '-p', '1', tid], { stdio: 'ignore' });
}
