import type { Redis, Result } from 'ioredis';
import { z } from 'zod';
import { parseJsonWith } from '../../common/json-payload.js';

export const INGEST_STATES = ['idle', 'live', 'reconnecting'] as const;
export type IngestStateName = (typeof INGEST_STATES)[number];

export const ingestStateSchema = z.object({
  /** `idle`: no encoder; `live`: an encoder is sending; `reconnecting`: it dropped and the room waits for it. */
  state: z.enum(INGEST_STATES),
  /** The node the encoder is connected to. */
  node_id: z.string().nullable(),
  since: z.string(),
  /** What the encoder sends and how it reaches the room. */
  media: z
    .object({
      video: z.object({ codec: z.string(), passthrough: z.boolean() }).nullable(),
      audio: z.object({ codec: z.string() }).nullable(),
      note: z.string().nullable(),
    })
    .nullable(),
  /** The last refusal or failure: a wrong codec, a second encoder on the key, the room ended ... */
  last_error: z.object({ code: z.string(), message: z.string(), at: z.string() }).nullable(),
});

export type IngestState = z.infer<typeof ingestStateSchema>;
export type IngestMedia = NonNullable<IngestState['media']>;

export const IDLE: Omit<IngestState, 'since'> = { state: 'idle', node_id: null, media: null, last_error: null };

const stateKey = (id: string) => `lc:ingest:${id}:state`;
const lockKey = (id: string) => `lc:ingest:${id}:encoder`;
const recordKey = (id: string) => `lc:ingest:${id}`;

/** Every key of an ingest's state, for its deletion. */
export const ingestStateKeys = (id: string): string[] => [stateKey(id), lockKey(id)];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    lcIngestClaim(record: string, lock: string, holder: string, ttlMs: number): Result<string, Context>;
    lcIngestRelease(lock: string, holder: string): Result<number, Context>;
  }
}

// One encoder per ingest across the cluster: the claim is taken (or kept) by its holder while the
// ingest exists; a claim of a deleted ingest answers `gone`, which cuts the encoder off.
const CLAIM_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'gone' end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return 'taken' end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 'ok'
`;
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export type ClaimResult = 'ok' | 'taken' | 'gone';

/** What each ingest is doing now (shared by every node), and the claim of the one encoder it may have. */
export class IngestStateStore {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('lcIngestClaim', { numberOfKeys: 2, lua: CLAIM_LUA });
    redis.defineCommand('lcIngestRelease', { numberOfKeys: 1, lua: RELEASE_LUA });
  }

  async get(id: string): Promise<IngestState> {
    const raw = await this.redis.get(stateKey(id));
    return raw ? parseJsonWith(ingestStateSchema, raw, `state of ingest ${id}`) : { ...IDLE, since: new Date(0).toISOString() };
  }

  async set(id: string, state: Omit<IngestState, 'since'>): Promise<void> {
    // Written only while the ingest exists: a state written after a deletion would linger.
    await this.redis
      .multi()
      .exists(recordKey(id))
      .set(stateKey(id), JSON.stringify({ ...state, since: new Date().toISOString() } satisfies IngestState))
      .exec()
      .then(async (replies) => {
        if (replies?.[0]?.[1] === 0) await this.redis.del(stateKey(id));
      });
  }

  /** Records a refusal without changing what the ingest is doing. */
  async refused(id: string, code: string, message: string): Promise<void> {
    const current = await this.get(id);
    await this.set(id, { ...current, last_error: { code, message, at: new Date().toISOString() } });
  }

  /** Takes or keeps the ingest's encoder claim for `holder` for `ttlMs`. */
  async claim(id: string, holder: string, ttlMs: number): Promise<ClaimResult> {
    return (await this.redis.lcIngestClaim(recordKey(id), lockKey(id), holder, ttlMs)) as ClaimResult;
  }

  async release(id: string, holder: string): Promise<void> {
    await this.redis.lcIngestRelease(lockKey(id), holder);
  }
}
