import type { Redis, Result } from 'ioredis';
import { DomainError } from '../../common/problem.js';
import { retirementLeaseEnd, RETIRING_KEYS } from './key-retirement.js';

// API keys form trees: a key from LEVELCHAT_API_KEYS is a root, and every key made through
// POST /v1/keys hangs under the key that made it. A tree is one tenant: it shares one rate-limit
// bucket and one share of webhook delivery, and it holds at most KEYS_PER_TREE keys, so making keys
// cannot multiply a tenant's limits. Deleting a key may take its whole subtree with it.

/** Keys made through the API that one tree may hold (its root, a config key, is not counted). */
export const KEYS_PER_TREE = 100;

/** One API-made key: its record (id, name, hashes, `tree`: the root key id). */
export const keyOf = (id: string) => `lc:apikey:${id}`;
/** The keys one key made. */
export const childrenOf = (id: string) => `lc:apikeys:children:${id}`;
/** Every API-made key of the tree rooted at `root`: what the cap counts. */
export const treeMembersOf = (root: string) => `lc:apikeys:tree:${root}`;

/** A key could not be made: the tree is full, or the key making it was deleted meanwhile. */
export class KeyTreeError extends DomainError<'key_limit' | 'invalid_api_key'> {}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    lcKeyCreate(hash: string, creatorChildren: string, members: string, creatorHash: string, limit: number, creatorStored: string, id: string, ...fields: string[]): Result<number, Context>;
    lcKeyDeleteTree(id: string, parent: string, members: string, channel: string, keyPrefix: string, childrenPrefix: string, retiring: string, retiringUntil: number): Result<string[], Context>;
  }
}

// The cap check and the write are one step, so concurrent creates cannot pass the cap together; a
// creator that is itself stored must still exist, so a key being deleted with its subtree cannot
// add a child that would outlive it. -1: creator gone, 0: tree full, 1: made.
const CREATE_LUA = `
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[4]) == 0 then return -1 end
if redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[3])
return 1
`;

// Deletes a key and every key below it in one step (no child can be added half-way), tells every
// node to drop them from its cache, marks them retiring (what they made is stopped next, under a
// lease until ARGV[8]; ./key-retirement.ts) and returns their ids. The walk is bounded by the tree cap.
const DELETE_TREE_LUA = `
local doomed, i = { ARGV[1] }, 1
while i <= #doomed and #doomed < 100000 do
  for _, child in ipairs(redis.call('SMEMBERS', ARGV[6] .. doomed[i])) do table.insert(doomed, child) end
  i = i + 1
end
for _, id in ipairs(doomed) do
  redis.call('DEL', ARGV[5] .. id, ARGV[6] .. id)
  redis.call('SREM', ARGV[3], id)
  redis.call('ZADD', ARGV[7], ARGV[8], id)
  redis.call('PUBLISH', ARGV[4], id)
end
if ARGV[2] ~= '' then redis.call('SREM', ARGV[6] .. ARGV[2], ARGV[1]) end
return doomed
`;

/** The Redis side of key trees: creating under the cap, deleting a subtree. */
export class KeyTree {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('lcKeyCreate', { numberOfKeys: 4, lua: CREATE_LUA });
    redis.defineCommand('lcKeyDeleteTree', { numberOfKeys: 0, lua: DELETE_TREE_LUA });
  }

  /** Stores a new key under `creator` in the tree `root`; throws KeyTreeError when it may not. */
  async add(root: string, creator: { id: string; stored: boolean }, id: string, fields: Record<string, string>): Promise<void> {
    const made = await this.redis.lcKeyCreate(keyOf(id), childrenOf(creator.id), treeMembersOf(root), keyOf(creator.id), KEYS_PER_TREE, creator.stored ? '1' : '0', id, ...Object.entries(fields).flat());
    if (made === -1) throw new KeyTreeError('invalid_api_key', 'the API key was deleted');
    if (made === 0) throw new KeyTreeError('key_limit', `a key tree holds at most ${KEYS_PER_TREE} keys made through the API; delete some first`);
  }

  /** Deletes `id` and all keys below it; `channel` is where invalidations are published. Returns the deleted ids. */
  deleteSubtree(root: string, id: string, parent: string | null, channel: string): Promise<string[]> {
    return this.redis.lcKeyDeleteTree(id, parent ?? '', treeMembersOf(root), channel, keyOf(''), childrenOf(''), RETIRING_KEYS, retirementLeaseEnd());
  }
}
