import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { RoomRecords } from '../../common/room-records.js';

const registrationStateSchema = z.enum(['pending', 'approved', 'rejected']);
export type RegistrationState = z.infer<typeof registrationStateSchema>;

export const registrationSchema = z.object({
  id: z.string(),
  identity: z.string(),
  name: z.string().nullable(),
  email: z.string().nullable(),
  metadata: z.string().nullable(),
  state: registrationStateSchema,
  created_at: z.string(),
});

export type Registration = z.infer<typeof registrationSchema>;

const byIdentity = (roomId: string) => `lc:room:${roomId}:registrant-identities`;

/** Webinar registrations: one per identity per room, open (approved at once) or awaiting approval. */
export class RegistrationStore {
  readonly #records: RoomRecords<typeof registrationSchema>;

  constructor(private readonly redis: Redis) {
    this.#records = new RoomRecords(redis, registrationSchema, (roomId) => `lc:room:${roomId}:registrations`, 'registration');
  }

  /** Registers an identity; registering it again returns the existing registration. */
  async register(roomId: string, input: { identity: string; name?: string; email?: string; metadata?: string }, state: RegistrationState): Promise<{ registration: Registration; created: boolean }> {
    const registration: Registration = {
      id: `reg_${randomBytes(8).toString('hex')}`,
      identity: input.identity,
      name: input.name ?? null,
      email: input.email ?? null,
      metadata: input.metadata ?? null,
      state,
      created_at: new Date().toISOString(),
    };
    const claimed = await this.redis.hsetnx(byIdentity(roomId), input.identity, registration.id);
    if (!claimed) {
      const existing = await this.byIdentity(roomId, input.identity);
      return { registration: existing!, created: false };
    }
    await this.#records.put(roomId, registration.id, registration);
    return { registration, created: true };
  }

  get(roomId: string, id: string): Promise<Registration | undefined> {
    return this.#records.get(roomId, id);
  }

  async byIdentity(roomId: string, identity: string): Promise<Registration | undefined> {
    const id = await this.redis.hget(byIdentity(roomId), identity);
    return id ? this.get(roomId, id) : undefined;
  }

  async decide(roomId: string, id: string, state: 'approved' | 'rejected'): Promise<Registration | undefined> {
    const registration = await this.get(roomId, id);
    if (!registration) return undefined;
    const decided = { ...registration, state };
    await this.#records.put(roomId, id, decided);
    return decided;
  }

  list(roomId: string): Promise<Registration[]> {
    return this.#records.list(roomId, 'created_at');
  }
}
