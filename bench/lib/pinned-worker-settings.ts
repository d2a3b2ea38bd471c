// What the benches that pin one mediasoup worker against a replayed feed and a sink (simulcast-fanout,
// webrtc-viewers) read from the environment, with the defaults they share: the worker on BENCH_WORKER_CPUS'
// first CPU, the load generator on BENCH_LOADGEN_CPUS (the last CPU), viewers on the browser's SRTP suite.
import os from 'node:os';
import { parseCpuList } from './cpu-list.js';
import { envNumber } from './env.js';
import { sourceFromEnv, type SourceSpec } from './load-source.js';
import { BROWSER_NEGOTIATED_SUITE, viewerTransportsFromEnv, type ViewerTransport } from './viewer-transport.js';

export interface PinnedWorkerSettings {
  durationS: number;
  warmupS: number;
  /** BENCH_NICE (-10): the worker, the feed and the sink ahead of other work on a shared box. */
  nice: number;
  cpuCount: number;
  workerCpu: number;
  loadgenCpu: string;
  source: SourceSpec;
  /** The SRTP viewer transport (BENCH_SRTP_SUITE, else the suite a browser negotiates with our worker). */
  srtp: ViewerTransport;
}

export function pinnedWorkerSettings(defaults: { warmupS: number }): PinnedWorkerSettings {
  const cpuCount = os.availableParallelism?.() ?? os.cpus().length;
  return {
    durationS: envNumber('BENCH_DURATION_S', 10),
    warmupS: envNumber('BENCH_WARMUP_S', defaults.warmupS),
    nice: Number(process.env.BENCH_NICE ?? -10),
    cpuCount,
    workerCpu: parseCpuList(process.env.BENCH_WORKER_CPUS || '0')[0]!,
    loadgenCpu: process.env.BENCH_LOADGEN_CPUS || String(cpuCount - 1),
    source: sourceFromEnv({ BENCH_SOURCE: 'replay', ...process.env }),
    srtp: viewerTransportsFromEnv({ BENCH_VIEWER_TRANSPORT: 'srtp', BENCH_SRTP_SUITE: process.env.BENCH_SRTP_SUITE || BROWSER_NEGOTIATED_SUITE })[0]!,
  };
}
