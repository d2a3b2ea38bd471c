import { randomBytes } from 'node:crypto';
import type { Redis, Result } from 'ioredis';
import { z } from 'zod';
import { parseJsonWith, parseWith } from '../../common/json-payload.js';
import { RecordLeases, type LeaseResult } from '../../common/record-lease.js';
import { DomainError } from '../../common/problem.js';

/** Restreams one room may have: each is an ffmpeg pushing the whole program while the room is on air. */
export const RESTREAMS_PER_ROOM = 5;

export const RESTREAM_STATES = ['waiting', 'connecting', 'live', 'retrying'] as const;

const storedRestreamSchema = z.object({
  id: z.string(),
  room_id: z.string(),
  owner: z.string(),
  /** The destination, which may hold the platform's stream key: returned to its owner only, never logged. */
  url: z.string(),
  created_at: z.string(),
});
export type StoredRestream = z.infer<typeof storedRestreamSchema>;

export const restreamStateSchema = z.object({
  /** `waiting`: nobody on air; `connecting`; `live`: pushing; `retrying`: the destination failed, next attempt after a backoff. */
  state: z.enum(RESTREAM_STATES),
  node_id: z.string().nullable(),
  since: z.string(),
  /** Failed attempts in a row. */
  failures: z.number().int(),
  last_error: z.object({ message: z.string(), at: z.string() }).nullable(),
});
export type RestreamState = z.infer<typeof restreamStateSchema>;

export const RESTREAM_ID = /^rs_[A-Za-z0-9]{16}$/;
const restreamIdsSchema = z.array(z.string().regex(RESTREAM_ID));

const recordKey = (id: string) => `lc:restream:${id}`;
const stateKey = (id: string) => `lc:restream:${id}:state`;
const leaseKey = (id: string) => `lc:restream:${id}:lease`;
const roomSetKey = (roomId: string) => `lc:room:${roomId}:restreams`;
/** Every restream of the cluster: what nodes take leases on. */
const ALL_KEY = 'lc:restreams';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    lcRestreamCreate(record: string, roomSet: string, all: string, limit: number, id: string, json: string): Result<number, Context>;
  }
}

const CREATE_LUA = `
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[2])
return 1
`;

export class RestreamLimitError extends DomainError<'restream_limit'> {
  constructor(message: string) {
    super('restream_limit', message);
  }
}

/** Restreams of rooms (destinations their on-air program is pushed to), their state, and who pushes each. */
export class RestreamStore {
  readonly #leases: RecordLeases;

  constructor(private readonly redis: Redis) {
    redis.defineCommand('lcRestreamCreate', { numberOfKeys: 3, lua: CREATE_LUA });
    this.#leases = new RecordLeases(redis);
  }

  async create(owner: string, roomId: string, url: string): Promise<StoredRestream> {
    const restream: StoredRestream = { id: `rs_${randomBytes(12).toString('base64url').replace(/[-_]/g, '0')}`, room_id: roomId, owner, url, created_at: new Date().toISOString() };
    const created = await this.redis.lcRestreamCreate(recordKey(restream.id), roomSetKey(roomId), ALL_KEY, RESTREAMS_PER_ROOM, restream.id, JSON.stringify(restream));
    if (created !== 1) throw new RestreamLimitError(`a room has at most ${RESTREAMS_PER_ROOM} restreams`);
    return restream;
  }

  async find(id: string): Promise<StoredRestream | undefined> {
    const raw = await this.redis.get(recordKey(id));
    return raw ? parseJsonWith(storedRestreamSchema, raw, `restream ${id}`) : undefined;
  }

  async get(owner: string, roomId: string, id: string): Promise<StoredRestream | undefined> {
    const r = await this.find(id);
    return r && r.owner === owner && r.room_id === roomId ? r : undefined;
  }

  async list(owner: string, roomId: string): Promise<StoredRestream[]> {
    const ids = parseWith(restreamIdsSchema, await this.redis.smembers(roomSetKey(roomId)), `restreams of room ${roomId}`);
    const all = await Promise.all(ids.sort().map((id) => this.find(id)));
    return all.filter((r): r is StoredRestream => r !== undefined && r.owner === owner);
  }

  /** Every restream's id: nodes take leases on them. */
  async allIds(): Promise<string[]> {
    return parseWith(restreamIdsSchema, await this.redis.smembers(ALL_KEY), 'restream ids');
  }

  /** Gone at once; its push stops when its node next renews the lease. */
  async delete(owner: string, roomId: string, id: string): Promise<boolean> {
    if (!(await this.get(owner, roomId, id))) return false;
    await this.redis.multi().del(recordKey(id), stateKey(id)).srem(roomSetKey(roomId), id).srem(ALL_KEY, id).exec();
    return true;
  }

  async state(id: string): Promise<RestreamState> {
    const raw = await this.redis.get(stateKey(id));
    return raw ? parseJsonWith(restreamStateSchema, raw, `state of restream ${id}`) : { state: 'waiting', node_id: null, since: new Date(0).toISOString(), failures: 0, last_error: null };
  }

  /** Written only while the restream exists (XX on its record's existence). */
  async setState(id: string, state: Omit<RestreamState, 'since'>): Promise<void> {
    const replies = await this.redis.multi().exists(recordKey(id)).set(stateKey(id), JSON.stringify({ ...state, since: new Date().toISOString() })).exec();
    if (replies?.[0]?.[1] === 0) await this.redis.del(stateKey(id));
  }

  /** The push of restream `id`: one node at a time, renewed while it runs. */
  lease(id: string, holder: string, ttlMs: number): Promise<LeaseResult> {
    return this.#leases.claim(recordKey(id), leaseKey(id), holder, ttlMs);
  }

  release(id: string, holder: string): Promise<void> {
    return this.#leases.release(leaseKey(id), holder);
  }
}
