import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { parseJsonWith } from '../../common/json-payload.js';

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

const byId = (roomId: string) => `lc:room:${roomId}:registrations`;
const byIdentity = (roomId: string) => `lc:room:${roomId}:registrant-identities`;

/** Webinar registrations: one per identity per room, open (approved at once) or awaiting approval. */
export class RegistrationStore {
  constructor(private readonly redis: Redis) {}

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
    await this.redis.hset(byId(roomId), registration.id, JSON.stringify(registration));
    return { registration, created: true };
  }

  async get(roomId: string, id: string): Promise<Registration | undefined> {
    const raw = await this.redis.hget(byId(roomId), id);
    return raw ? parseRegistration(raw, roomId, id) : undefined;
  }

  async byIdentity(roomId: string, identity: string): Promise<Registration | undefined> {
    const id = await this.redis.hget(byIdentity(roomId), identity);
    return id ? this.get(roomId, id) : undefined;
  }

  async decide(roomId: string, id: string, state: 'approved' | 'rejected'): Promise<Registration | undefined> {
    const registration = await this.get(roomId, id);
    if (!registration) return undefined;
    const decided = { ...registration, state };
    await this.redis.hset(byId(roomId), id, JSON.stringify(decided));
    return decided;
  }

  async list(roomId: string): Promise<Registration[]> {
    return Object.entries(await this.redis.hgetall(byId(roomId)))
      .map(([id, j]) => parseRegistration(j, roomId, id))
      .sort((a, b) => a.created_at.localeCompare(b.created_at));
  }
}

function parseRegistration(json: string, roomId: string, id: string): Registration {
  return parseJsonWith(registrationSchema, json, `registration ${id} of room ${roomId}`);
}
