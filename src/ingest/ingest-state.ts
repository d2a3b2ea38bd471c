import type { Redis } from 'ioredis';
import { z } from 'zod';
import { parseJsonWith } from '../../common/json-payload.js';
import { RecordLeases, type LeaseResult } from '../../common/record-lease.js';

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


/** What each ingest is doing now (shared by every node), and the claim of the one encoder it may have. */
export class IngestStateStore {
  readonly #leases: RecordLeases;

  constructor(private readonly redis: Redis) {
    this.#leases = new RecordLeases(redis);
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

  /** Takes or keeps the ingest's encoder claim (one encoder per ingest across the cluster) for `holder` for `ttlMs`. */
  claim(id: string, holder: string, ttlMs: number): Promise<LeaseResult> {
    return this.#leases.claim(recordKey(id), lockKey(id), holder, ttlMs);
  }

  release(id: string, holder: string): Promise<void> {
    return this.#leases.release(lockKey(id), holder);
  }
}
