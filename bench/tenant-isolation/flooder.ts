// The tenant-isolation bench's load process, forked by bench/tenant-isolation.ts: it sends the
// flooding (or the control) tenant's room creates, so that load does not share an event loop with
// the calm tenant's client whose latencies are measured.
import { serveCalls } from '../lib/ipc-rpc.js';
import { pacedCreates, type Api } from './load.js';

// Ctrl-C reaches the whole process group; the driver decides when we stop.
process.on('SIGINT', () => {});

/** Creates `rate` rooms per second for `durationS` from `keys` in turn, ids `<prefix>-<i>`. */
export interface FloodRequest {
  keys: Api[];
  prefix: string;
  rate: number;
  durationS: number;
}

export interface FloodReply {
  created: number;
  /** [status, count] pairs (0: no answer). */
  statuses: [number, number][];
}

await serveCalls<FloodRequest>({
  start: async () => ({ pid: process.pid }),
  handle: async (r): Promise<FloodReply> => {
    const run = await pacedCreates(r.keys, r.prefix, r.rate, r.durationS);
    return { created: run.rooms.length, statuses: [...run.statuses] };
  },
  stop: async () => {},
});
