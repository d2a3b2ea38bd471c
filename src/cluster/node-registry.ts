import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis, Result } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../../common/logger.js';
import { parseJsonWith } from '../../common/json-payload.js';

/** What a node reports about its load with every heartbeat. */
export const nodeLoadSchema = z.object({
  /** CPU of the media workers, 0-1 (1: every worker's core is busy). */
  cpu: z.number(),
  consumers: z.number(),
  rooms: z.number(),
  /** Bits per second sent to subscribers, when the node measures it. */
  bitrate: z.number().optional(),
});

export type NodeLoad = z.infer<typeof nodeLoadSchema>;

/** One live node as the registry holds it. */
export const nodeInfoSchema = z.object({
  id: z.string(),
  region: z.string(),
  /** Public HTTP URL clients use for this node. */
  url: z.string(),
  /** Address other nodes reach this node's PipeTransports at (its announced or listen IP). */
  rtc_address: z.string(),
  workers: z.number(),
  load: nodeLoadSchema,
  started_at: z.string(),
});

export type NodeInfo = z.infer<typeof nodeInfoSchema>;

export interface NodeRegistryOptions {
  redis: Redis;
  node: Omit<NodeInfo, 'load' | 'started_at'>;
  sampleLoad: () => NodeLoad | Promise<NodeLoad>;
  logger: Logger;
  /** A node missing heartbeats this long is gone. */
  ttlMs?: number;
  intervalMs?: number;
}

const NODE_IDS = 'cluster:node-ids';
const nodeKey = (id: string) => `cluster:node:${id}`;

// Reads every registered node and forgets the ids whose entry expired, in one round trip.
const LIST_NODES_LUA = `
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local v = redis.call('GET', ARGV[1] .. id)
  if v then table.insert(out, v) else redis.call('SREM', KEYS[1], id) end
end
return out`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    lcListNodes(ids: string, prefix: string): Result<string[], Context>;
  }
}

/** `LEVELCHAT_NODE_ID` when unset: stable across a process's life, distinct between processes. */
export function defaultNodeId(): string {
  const host = os.hostname().toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40);
  return host ? `${host}-${process.pid}` : `node-${randomBytes(6).toString('hex')}`;
}

/** Reads the registry: the live nodes, by id. Any process can list; only a NodeRegistry writes. */
export class NodeDirectory {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('lcListNodes', { numberOfKeys: 1, lua: LIST_NODES_LUA });
  }

  async list(): Promise<NodeInfo[]> {
    const entries = await this.redis.lcListNodes(NODE_IDS, nodeKey(''));
    return entries.map((json) => parseJsonWith(nodeInfoSchema, json, 'node registry entry')).sort((a, b) => a.id.localeCompare(b.id));
  }
}

/**
 * This node's entry among the nodes sharing this Redis. Each entry expires on its own (Redis keeps
 * the clock, so nodes' clocks never matter): a node that dies disappears within `ttlMs`.
 */
export class NodeRegistry {
  private readonly ttlMs: number;
  private readonly intervalMs: number;
  private readonly startedAt = new Date().toISOString();
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: NodeRegistryOptions) {
    this.ttlMs = options.ttlMs ?? 6000;
    this.intervalMs = options.intervalMs ?? 2000;
  }

  get id(): string {
    return this.options.node.id;
  }

  /** Registers this node now, then keeps its entry alive until `stop()`. */
  async start(): Promise<void> {
    await this.heartbeat();
    this.timer = setInterval(() => {
      this.inFlight = this.heartbeat().catch((err: Error) => this.options.logger.warn({ err: err.message }, 'node heartbeat failed'));
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Writes this node's entry with a fresh load sample and TTL. */
  async heartbeat(): Promise<void> {
    const info: NodeInfo = { ...this.options.node, load: await this.options.sampleLoad(), started_at: this.startedAt };
    if (this.stopped) return;
    await this.options.redis.multi().set(nodeKey(info.id), JSON.stringify(info), 'PX', this.ttlMs).sadd(NODE_IDS, info.id).exec();
  }

  /** Leaves the cluster at once (rather than after the TTL): placement stops choosing this node. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.inFlight;
    await this.options.redis.multi().del(nodeKey(this.id)).srem(NODE_IDS, this.id).exec();
  }
}
