import type { Redis, Result } from 'ioredis';
import type { Capability } from '../auth/capabilities.js';
import { chooseOrigin, chooseViewerNode, DEFAULT_LIMITS, type LoadLimits } from './choose-node.js';
import type { NodeInfo } from './node-registry.js';

/** Capabilities of a pure audience member: nothing that needs the room's origin node. */
const EDGE_CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>(['subscribe:all', 'chat:send', 'reactions:send']);

/**
 * Whether a token may join the room on any node (an edge): it only watches, chats and reacts.
 * Publishers, moderators and raised hands (a moderator's queue) belong on the origin node.
 */
export function canJoinEdge(capabilities: readonly Capability[]): boolean {
  return capabilities.every((c) => EDGE_CAPABILITIES.has(c));
}

export class NoNodeError extends Error {
  readonly code = 'no_node';
}

const originKey = (roomId: string) => `cluster:room:${roomId}:origin`;
const servingKey = (roomId: string) => `cluster:room:${roomId}:nodes`;

/** Placements outlive a node restart but not an abandoned room; every lookup renews them. */
const PLACEMENT_TTL_MS = 24 * 3600 * 1000;
const ATTEMPTS = 5;

// Compare-and-set: records the new origin only if the origin is still the one the caller saw (''
// for none); answers the origin that holds afterwards, so racing nodes all end up with the winner.
const SWAP_ORIGIN_LUA = `
local current = redis.call('GET', KEYS[1])
if (current == false and ARGV[1] == '') or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return ARGV[2]
end
return current`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    lcSwapOrigin(key: string, expected: string, next: string, ttlMs: string): Result<string, Context>;
  }
}

/**
 * Which node runs a room, agreed through Redis by every node: the origin (where publishers go) is
 * chosen once and kept while that node lives; viewers go to the origin or to edges near them.
 */
export class Placement {
  constructor(
    private readonly redis: Redis,
    private readonly nodes: { list(): Promise<NodeInfo[]> },
    private readonly limits: LoadLimits = DEFAULT_LIMITS,
  ) {
    redis.defineCommand('lcSwapOrigin', { numberOfKeys: 1, lua: SWAP_ORIGIN_LUA });
  }

  /**
   * The room's origin node, placing (or re-placing, when its node died) the room first if needed,
   * and the live nodes it was found among (callers that also need the node list use this one).
   */
  async originFor(roomId: string, regionHint: string | null): Promise<{ origin: NodeInfo; nodes: NodeInfo[] }> {
    const key = originKey(roomId);
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const [nodes, current] = await Promise.all([this.nodes.list(), this.redis.get(key)]);
      const alive = nodes.find((n) => n.id === current);
      if (alive) {
        await this.redis.pexpire(key, PLACEMENT_TTL_MS);
        return { origin: alive, nodes };
      }
      const chosen = chooseOrigin(nodes, regionHint, this.limits);
      if (!chosen) throw new NoNodeError('no LevelChat node is alive');
      const winner = await this.redis.lcSwapOrigin(key, current ?? '', chosen.id, String(PLACEMENT_TTL_MS));
      const node = nodes.find((n) => n.id === winner);
      // Another node won with a node our list did not have yet (or just lost): look again.
      if (node) return { origin: node, nodes };
    }
    throw new NoNodeError(`could not agree on an origin for ${roomId}`);
  }

  /** The node a viewer should join; an edge chosen here is recorded so later viewers gather on it. */
  async nodeForViewer(roomId: string, regionHint: string | null, viewerRegion: string | null = null): Promise<NodeInfo> {
    const { origin, nodes } = await this.originFor(roomId, regionHint);
    const serving = await this.redis.smembers(servingKey(roomId));
    const node = chooseViewerNode({ nodes, origin, serving: new Set(serving), viewerRegion }, this.limits);
    if (node.id !== origin.id) await this.serving(roomId, node.id);
    return node;
  }

  /** Records that `nodeId` serves the room (it holds the room's producers). */
  async serving(roomId: string, nodeId: string): Promise<void> {
    await this.redis.multi().sadd(servingKey(roomId), nodeId).pexpire(servingKey(roomId), PLACEMENT_TTL_MS).exec();
  }

  /** The room closed on `nodeId`: viewers are no longer steered to it for this room. */
  async released(roomId: string, nodeId: string): Promise<void> {
    await this.redis.srem(servingKey(roomId), nodeId);
  }
}
