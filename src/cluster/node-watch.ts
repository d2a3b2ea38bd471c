import { EventEmitter } from 'node:events';
import type { Logger } from '../../common/logger.js';
import type { NodeInfo } from './node-registry.js';

export interface NodeWatchEvents {
  /** A node's registry entry expired (or it left): whatever it held is gone. */
  lost: [nodeId: string];
}

/**
 * Notices nodes leaving the registry by listing it on an interval, so each node can drop what it
 * kept for the dead one (pipes to and from it, its participants and tracks in shared rooms).
 */
export class NodeWatch extends EventEmitter<NodeWatchEvents> {
  private known = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly nodes: { list(): Promise<NodeInfo[]> },
    private readonly logger: Logger,
    private readonly intervalMs = 1000,
  ) {
    super();
  }

  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check().catch((err: Error) => this.logger.warn({ err: err.message }, 'node watch failed')), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async check(): Promise<void> {
    const alive = new Set((await this.nodes.list()).map((n) => n.id));
    for (const id of this.known) {
      if (alive.has(id)) continue;
      this.logger.warn({ node_id: id }, 'node lost');
      this.emit('lost', id);
    }
    this.known = alive;
  }
}
