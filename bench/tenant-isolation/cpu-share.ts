// Where the machine's CPU went during a measured phase: the node process, its redis-server, this
// driver (the calm tenant's client), the load process (the other tenants' clients), and everything else (other processes on a shared machine: above a few tenths of a core,
// the phase was disturbed and its latencies say more about the machine than about LevelChat).
import os from 'node:os';
import { cpuDelta, machineCpu, processCpuMs } from '../lib/procfs.js';

export interface CpuShare {
  /** Cores used on average over the phase. */
  server: number;
  redis: number;
  driver: number;
  load: number;
  others: number;
}

/** Starts counting; the returned function ends the count and gives the shares. */
export function countCpu(serverPid: number, redisPid: number, loadPid: number): () => CpuShare {
  const t0 = performance.now();
  const machine0 = machineCpu();
  const server0 = processCpuMs(serverPid);
  const redis0 = redisPid ? processCpuMs(redisPid) : 0;
  const driver0 = process.cpuUsage();
  const load0 = processCpuMs(loadPid);
  return () => {
    const wallMs = performance.now() - t0;
    const busyCores = cpuDelta(machine0, machineCpu())[0]!.busy * os.cpus().length;
    const d = process.cpuUsage(driver0);
    const server = (processCpuMs(serverPid) - server0) / wallMs;
    const redis = redisPid ? (processCpuMs(redisPid) - redis0) / wallMs : 0;
    const driver = (d.user + d.system) / 1000 / wallMs;
    const load = (processCpuMs(loadPid) - load0) / wallMs;
    return { server, redis, driver, load, others: Math.max(0, busyCores - server - redis - driver - load) };
  };
}
