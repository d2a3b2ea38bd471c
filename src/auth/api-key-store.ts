import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { formatApiKey, generateApiKey, hashSecret, parseApiKey, secretMatches, tokenSigningKey } from './api-key.js';
import { channelFor } from '../../common/pubsub-channel.js';
import { childrenOf, keyOf, KeyTree, KeyTreeError, treeMembersOf } from './key-tree.js';
import { retirementLeaseEnd, RETIRING_KEYS } from './key-retirement.js';

export interface ApiKeyRecord {
  id: string;
  name: string;
  source: 'config' | 'api';
  /** The key that created this one; `null` for keys from LEVELCHAT_API_KEYS. */
  created_by: string | null;
  created_at: string;
}

/** An authenticated key: its record and its tree (the root key id), which its limits are counted on. */
export interface CallerKey extends ApiKeyRecord {
  tree: string;
}

interface StoredKey extends ApiKeyRecord {
  hash: string;
  signingKey: Buffer;
  /** The root of its key tree; '' for keys stored before trees were recorded (found by walking up). */
  tree: string;
}

const INVALIDATE_CHANNEL = 'apikey-invalidate';
const CACHE_TTL_MS = 10_000;
// Lookups of unknown ids are cached too (as misses): the bound keeps a flood of made-up ids from growing memory.
const CACHE_MAX_ENTRIES = 10_000;
/** A cached lookup: the key, or null for an id that does not exist. */
type CachedKey = { key: StoredKey | null };

/**
 * API keys: from config (kept in memory, never written anywhere) and from the API (stored in Redis
 * as id + SHA-256 of the secret + the derived token signing key; never the secret).
 */
export class ApiKeyStore {
  private readonly configKeys = new Map<string, StoredKey>();
  private readonly cache = new LRUCache<string, CachedKey>({ max: CACHE_MAX_ENTRIES, ttl: CACHE_TTL_MS });
  private readonly tree: KeyTree;

  constructor(
    private readonly redis: Redis,
    configKeys: string[],
  ) {
    this.tree = new KeyTree(redis);
    const now = new Date().toISOString();
    for (const raw of configKeys) {
      const parsed = parseApiKey(raw);
      if (!parsed) throw new Error('LEVELCHAT_API_KEYS holds a malformed key');
      this.configKeys.set(parsed.id, {
        id: parsed.id,
        name: 'config',
        source: 'config',
        created_by: null,
        created_at: now,
        hash: hashSecret(parsed.secret),
        signingKey: tokenSigningKey(parsed.secret),
        tree: parsed.id,
      });
    }
  }

  /** Drops cached records when any node deletes a key. Call once per process with a subscriber connection. */
  async listenForInvalidations(subscriber: Redis): Promise<void> {
    const invalidations = channelFor(subscriber, INVALIDATE_CHANNEL);
    subscriber.on('message', (channel: string, id: string) => {
      if (channel === invalidations) this.cache.delete(id);
    });
    await subscriber.subscribe(invalidations);
  }

  /** The key a bearer credential belongs to, or undefined when it is unknown or wrong. */
  async authenticate(bearer: string): Promise<CallerKey | undefined> {
    const parsed = parseApiKey(bearer);
    if (!parsed) return undefined;
    const key = await this.find(parsed.id);
    if (!key || !secretMatches(parsed.secret, key.hash)) return undefined;
    return { ...publicRecord(key), tree: await this.treeOf(key) };
  }

  async signingKey(id: string): Promise<Buffer | undefined> {
    return (await this.find(id))?.signingKey;
  }

  /** A new key under `createdBy`, in its tree; throws KeyTreeError when the tree is full (KEYS_PER_TREE). */
  async create(createdBy: string, name: string): Promise<{ record: ApiKeyRecord; key: string }> {
    const creator = await this.find(createdBy);
    if (!creator) throw new KeyTreeError('invalid_api_key', 'the API key was deleted');
    const tree = await this.treeOf(creator);
    const generated = generateApiKey();
    const record: ApiKeyRecord = { id: generated.id, name, source: 'api', created_by: createdBy, created_at: new Date().toISOString() };
    await this.tree.add(tree, { id: createdBy, stored: creator.source === 'api' }, generated.id, {
      ...record,
      created_by: createdBy,
      tree,
      hash: hashSecret(generated.secret),
      signing_key: tokenSigningKey(generated.secret).toString('hex'),
    });
    return { record, key: formatApiKey(generated) };
  }

  /** The caller's own key and the keys it created. */
  async listVisibleTo(callerId: string): Promise<ApiKeyRecord[]> {
    const ids = [callerId, ...(await this.redis.smembers(childrenOf(callerId))).sort()];
    const keys = await Promise.all(ids.map((id) => this.find(id)));
    return keys.filter((k): k is StoredKey => k !== undefined).map(publicRecord);
  }

  /**
   * Deletes a key the caller created (or the caller itself), and returns the ids of the keys deleted.
   * Config keys cannot be deleted here. `cascade`: every key below it goes too (a leaked key and all
   * it made); otherwise the keys it made are handed to its own creator. The deleted keys are marked
   * retiring in the same step, under a lease for the caller: what they made is stopped by
   * ./key-retirement.ts.
   */
  async delete(callerId: string, id: string, cascade = false): Promise<string[] | 'not_found' | 'config_key'> {
    if (this.configKeys.has(id)) return id === callerId ? 'config_key' : 'not_found';
    const key = await this.find(id);
    if (!key || (id !== callerId && key.created_by !== callerId)) return 'not_found';
    const tree = await this.treeOf(key);
    if (cascade) {
      const deleted = await this.tree.deleteSubtree(tree, id, key.created_by, channelFor(this.redis, INVALIDATE_CHANNEL));
      for (const gone of deleted) this.cache.delete(gone);
      return deleted;
    }
    // The keys it created move up to its creator, so they stay listable and deletable by someone.
    const heir = key.created_by;
    const orphans = await this.redis.smembers(childrenOf(id));
    const tx = this.redis.multi().del(keyOf(id), childrenOf(id)).srem(treeMembersOf(tree), id).zadd(RETIRING_KEYS, retirementLeaseEnd(), id);
    if (heir) {
      tx.srem(childrenOf(heir), id);
      for (const child of orphans) tx.hset(keyOf(child), 'created_by', heir).sadd(childrenOf(heir), child);
    }
    await tx.publish(channelFor(this.redis, INVALIDATE_CHANNEL), id).exec();
    for (const child of orphans) this.cache.delete(child);
    this.cache.delete(id);
    return [id];
  }

  private async find(id: string): Promise<StoredKey | undefined> {
    const fromConfig = this.configKeys.get(id);
    if (fromConfig) return fromConfig;
    const cached = this.cache.get(id);
    if (cached) return cached.key ?? undefined;
    const h = await this.redis.hgetall(keyOf(id));
    const key: StoredKey | null = h.id
      ? {
          id: h.id,
          name: h.name ?? '',
          source: 'api',
          created_by: h.created_by || null,
          created_at: h.created_at ?? '',
          hash: h.hash ?? '',
          signingKey: Buffer.from(h.signing_key ?? '', 'hex'),
          tree: h.tree ?? '',
        }
      : null;
    this.cache.set(id, { key });
    return key ?? undefined;
  }

  /** The root of the key's tree: recorded on keys made since trees exist, else found by walking up. */
  private async treeOf(key: StoredKey): Promise<string> {
    if (key.source === 'config' || key.tree) return key.tree || key.id;
    let top = key;
    for (let hops = 0; top.created_by && hops < 64; hops += 1) {
      const parent = await this.find(top.created_by);
      if (!parent) return top.created_by;
      if (parent.source === 'config' || parent.tree) return parent.tree || parent.id;
      top = parent;
    }
    return top.id;
  }
}

function publicRecord(k: StoredKey): ApiKeyRecord {
  return { id: k.id, name: k.name, source: k.source, created_by: k.created_by, created_at: k.created_at };
}
