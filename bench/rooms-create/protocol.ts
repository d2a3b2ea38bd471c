// What the rooms-create driver (bench/rooms-create.ts) and its forked server process
// (bench/rooms-create/server.ts) say to each other over bench/lib/ipc-rpc.ts.
import type { RpcChild } from '../lib/ipc-rpc.js';

/** The server's environment: where the stack keeps its data, and the API key both sides accept. */
export const SERVER_ENV = { dataDir: 'BENCH_DATA_DIR', apiKey: 'BENCH_API_KEY' } as const;

/** What the server announces once the stack and the baseline listen. */
export interface ServerInfo {
  pid: number;
  levelchatUrl: string;
  baselineUrl: string;
  /** With its password: log it redacted. */
  redisUrl: string;
  workers: number;
  startupMs: number;
}

/** The driver asks the server to time a measured phase, and for its memory after the idle rooms. */
export type ServerRequest = { type: 'phase-start'; profile?: string } | { type: 'phase-end' } | { type: 'memory' };

/** The server process's own cost during a phase (answer to phase-end). */
export interface PhaseStats {
  cpuUserUs: number;
  cpuSystemUs: number;
  /** Event-loop utilisation of the server process during the phase, 0..1. */
  elu: number;
  /** Garbage-collection pauses of the server process during the phase (they stop its event loop). */
  gc: GcPauses;
  /** Where the phase's CPU profile was written, when one was asked for. */
  profile?: string;
}

export interface GcPauses {
  count: number;
  totalMs: number;
  maxMs: number;
}

/** Answer to memory: the server process after a forced GC where node allows it (--expose-gc). */
export interface MemoryStats {
  rss: number;
  heapUsed: number;
  external: number;
  gcForced: boolean;
}

/** The driver's handle on the server process. */
export type ServerProcess = RpcChild<ServerRequest, ServerInfo>;
