import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { parseJsonWith } from './json-payload.js';

/** The fields of T that hold strings (timestamps a list is ordered by). */
type StringField<T> = { [K in keyof T]: T[K] extends string ? K : never }[keyof T];

/**
 * A room's records of one kind (its recordings, its registrations ...) as JSON in one Redis hash by
 * record id, read back through their schema.
 */
export class RoomRecords<S extends z.ZodType<object>> {
  constructor(
    private readonly redis: Redis,
    private readonly schema: S,
    /** The room's hash. */
    private readonly key: (roomId: string) => string,
    /** What a record is called in errors: `<what> <id> of room <roomId>`. */
    private readonly what: string,
  ) {}

  async put(roomId: string, id: string, record: z.output<S>): Promise<void> {
    await this.redis.hset(this.key(roomId), id, JSON.stringify(record));
  }

  async get(roomId: string, id: string): Promise<z.output<S> | undefined> {
    const raw = await this.redis.hget(this.key(roomId), id);
    return raw ? this.#parse(raw, roomId, id) : undefined;
  }

  /** Every record of the room, oldest `by` first. */
  async list(roomId: string, by: StringField<z.output<S>>): Promise<z.output<S>[]> {
    return Object.entries(await this.redis.hgetall(this.key(roomId)))
      .map(([id, json]) => this.#parse(json, roomId, id))
      .sort((a, b) => (a[by] as string).localeCompare(b[by] as string));
  }

  #parse(json: string, roomId: string, id: string): z.output<S> {
    return parseJsonWith(this.schema, json, `${this.what} ${id} of room ${roomId}`);
  }
}
