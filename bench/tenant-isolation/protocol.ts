// What the tenant-isolation driver (bench/tenant-isolation.ts) and its server process
// (./server.ts) say to each other over IPC.

/** Environment the driver gives the server process. */
export const SERVER_ENV = {
  dataDir: 'BENCH_TI_DATA_DIR',
  /** Comma-separated config keys: the roots of the two tenants' key trees. */
  apiKeys: 'BENCH_TI_API_KEYS',
  /** `1`: delivery without per-tenant slots, 16 shared ones (the reference run, as before). */
  unfair: 'BENCH_TI_UNFAIR',
} as const;

export interface ServerInfo {
  pid: number;
  /** The embedded redis-server's pid (0 when unknown), for its CPU. */
  redisPid: number;
  url: string;
  /** Attempts one tenant may have in flight (the server's setting). */
  perTenant: number;
  concurrency: number;
}

/** The delivery backlog of one key tree, read in Redis. */
export type ServerRequest = { type: 'backlog'; tree: string };

export interface Backlog {
  inFlight: number;
  parked: number;
  /** Delivery jobs of every tenant waiting, delayed or running in BullMQ. */
  jobs: number;
}
