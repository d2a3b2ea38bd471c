import type { Redis, Result } from 'ioredis';
import { z } from 'zod';
import { parseJsonWith, parseWith } from '../../common/json-payload.js';
import type { IngestProtocol } from '../../pipeline/encoder/encoder-source.js';
import { ingestStateKeys } from './ingest-state.js';
import { INGEST_ID, newIngestId, newSrtPassphrase, newStreamKey, streamKeyHash } from './stream-keys.js';
import { DomainError } from '../../common/problem.js';

export const INGEST_PROTOCOLS = ['rtmp', 'srt'] as const satisfies readonly IngestProtocol[];

/** Ingests one room may have: each SRT one holds a UDP port and a listening ffmpeg. */
export const INGESTS_PER_ROOM = 10;

const storedIngestSchema = z.object({
  id: z.string(),
  room_id: z.string(),
  /** The API key that made it: the only one that sees it. */
  owner: z.string(),
  protocol: z.enum(INGEST_PROTOCOLS),
  identity: z.string(),
  name: z.string().nullable(),
  reconnect_window_s: z.number().int(),
  key_hash: z.string(),
  created_at: z.string(),
  /**
   * Where its SRT listener runs, and the passphrase that listener hands to libsrt (which needs it in
   * the clear to decrypt: Redis holds it, as it holds the cluster's signing keys).
   */
  srt: z.object({ node_id: z.string(), port: z.number().int(), passphrase: z.string() }).nullable(),
});

export type StoredIngest = z.infer<typeof storedIngestSchema>;

const ingestIdSchema = z.string().regex(INGEST_ID);
/** A node's SRT ports: port → ingest id. */
const srtPortsSchema = z.record(z.string().regex(/^\d{1,5}$/), ingestIdSchema);

export interface NewIngest {
  roomId: string;
  owner: string;
  protocol: IngestProtocol;
  /** The participant's identity; null: the ingest's id. */
  identity: string | null;
  name: string | null;
  reconnectWindowS: number;
}

/** Where a new SRT ingest's listener goes: this node, on a port of its range. */
export interface SrtPlacement {
  nodeId: string;
  minPort: number;
  maxPort: number;
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    lcIngestCreate(record: string, roomSet: string, keyIndex: string, ports: string, limit: number, id: string, json: string, port: string): Result<string, Context>;
  }
}

// The limit, the SRT port and the writes in one step: concurrent creates cannot pass the limit
// together or take the same port.
const CREATE_LUA = `
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[1]) then return 'limit' end
if ARGV[4] ~= '' and redis.call('HSETNX', KEYS[4], ARGV[4], ARGV[2]) == 0 then return 'port' end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('SET', KEYS[3], ARGV[2])
return 'ok'
`;

const recordKey = (id: string) => `lc:ingest:${id}`;
const roomSetKey = (roomId: string) => `lc:room:${roomId}:ingests`;
const keyIndexKey = (hash: string) => `lc:ingest-key:${hash}`;
/** A node's SRT ports: port → ingest id. */
const srtPortsKey = (nodeId: string) => `lc:srt-ports:${nodeId}`;

export class IngestLimitError extends DomainError<'ingest_limit'> {
  constructor(message: string) {
    super('ingest_limit', message);
  }
}

export class SrtPortsExhaustedError extends DomainError<'srt_ports_exhausted'> {
  constructor(message: string) {
    super('srt_ports_exhausted', message);
  }
}

/**
 * The ingests (encoder endpoints) of rooms: which room and identity an encoder publishes as, and
 * the hash of its stream key. An encoder is found by its key's hash; the key itself is returned
 * once, by `create`.
 */
export class IngestStore {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('lcIngestCreate', { numberOfKeys: 4, lua: CREATE_LUA });
  }

  /** The new ingest, its stream key and (SRT) passphrase; IngestLimitError, SrtPortsExhaustedError. */
  async create(input: NewIngest, srt: SrtPlacement): Promise<{ ingest: StoredIngest; streamKey: string }> {
    const id = newIngestId();
    const streamKey = newStreamKey();
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const port = input.protocol === 'srt' ? await this.freeSrtPort(srt) : null;
      const ingest: StoredIngest = {
        id,
        room_id: input.roomId,
        owner: input.owner,
        protocol: input.protocol,
        identity: input.identity ?? id,
        name: input.name,
        reconnect_window_s: input.reconnectWindowS,
        key_hash: streamKeyHash(streamKey),
        created_at: new Date().toISOString(),
        srt: port === null ? null : { node_id: srt.nodeId, port, passphrase: newSrtPassphrase() },
      };
      const ports = srtPortsKey(srt.nodeId);
      const result = await this.redis.lcIngestCreate(recordKey(id), roomSetKey(input.roomId), keyIndexKey(ingest.key_hash), ports, INGESTS_PER_ROOM, id, JSON.stringify(ingest), port === null ? '' : String(port));
      if (result === 'ok') return { ingest, streamKey };
      if (result === 'limit') throw new IngestLimitError(`a room has at most ${INGESTS_PER_ROOM} ingests`);
      // 'port': another create took it meanwhile; pick again.
    }
    throw new SrtPortsExhaustedError('no SRT port could be taken');
  }

  async find(id: string): Promise<StoredIngest | undefined> {
    const raw = await this.redis.get(recordKey(id));
    return raw ? parseJsonWith(storedIngestSchema, raw, `ingest ${id}`) : undefined;
  }

  /** The ingest a connecting encoder's stream key opens, if any. */
  async byStreamKey(streamKey: string): Promise<StoredIngest | undefined> {
    const id = await this.redis.get(keyIndexKey(streamKeyHash(streamKey)));
    return id ? this.find(parseWith(ingestIdSchema, id, 'ingest id of a stream key')) : undefined;
  }

  async get(owner: string, roomId: string, id: string): Promise<StoredIngest | undefined> {
    const ingest = await this.find(id);
    return ingest && ingest.owner === owner && ingest.room_id === roomId ? ingest : undefined;
  }

  async list(owner: string, roomId: string): Promise<StoredIngest[]> {
    const ids = parseWith(z.array(ingestIdSchema), await this.redis.smembers(roomSetKey(roomId)), `ingests of room ${roomId}`).sort();
    const all = await Promise.all(ids.map((id) => this.find(id)));
    return all.filter((i): i is StoredIngest => i !== undefined && i.owner === owner);
  }

  /** Revokes the key: the ingest is gone at once; a live encoder is cut off by the node holding it. */
  async delete(owner: string, roomId: string, id: string): Promise<boolean> {
    const ingest = await this.get(owner, roomId, id);
    if (!ingest) return false;
    const tx = this.redis.multi().del(recordKey(id), ...ingestStateKeys(id)).srem(roomSetKey(roomId), id).del(keyIndexKey(ingest.key_hash));
    if (ingest.srt) tx.hdel(srtPortsKey(ingest.srt.node_id), String(ingest.srt.port));
    await tx.exec();
    return true;
  }

  /** The SRT ingests whose listeners run on `nodeId`: port → ingest. */
  async srtIngestsOf(nodeId: string): Promise<Map<number, StoredIngest>> {
    const ports = parseWith(srtPortsSchema, await this.redis.hgetall(srtPortsKey(nodeId)), `SRT ports of node ${nodeId}`);
    const found = await Promise.all(Object.entries(ports).map(async ([port, id]) => [Number(port), await this.find(id)] as const));
    return new Map(found.filter((e): e is [number, StoredIngest] => e[1] !== undefined));
  }

  /** A port of the node's range that no ingest holds, picked at random (the caller takes it atomically). */
  private async freeSrtPort({ nodeId, minPort, maxPort }: SrtPlacement): Promise<number> {
    const taken = new Set((await this.redis.hkeys(srtPortsKey(nodeId))).map(Number));
    const span = maxPort - minPort + 1;
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i += 1) {
      const port = minPort + ((start + i) % span);
      if (!taken.has(port)) return port;
    }
    throw new SrtPortsExhaustedError(`every SRT port of ${minPort}-${maxPort} on this node is taken`);
  }
}
