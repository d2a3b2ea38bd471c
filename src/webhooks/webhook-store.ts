import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { parseJsonWith, parseWith } from '../../common/json-payload.js';
import { ownerWebhookFilters } from '../events/event-keys.js';
import { ROOM_EVENT_TYPES, type RoomEventType } from '../events/room-event.js';

export interface Webhook {
  id: string;
  url: string;
  /** `null`: every event. */
  events: RoomEventType[] | null;
  created_at: string;
}

export interface StoredWebhook extends Webhook {
  owner: string;
  secret: string;
}

const webhookKey = (id: string) => `lc:webhook:${id}`;

/** A webhook's hash in Redis; `events` is JSON (`null`: every event), and absent means every event too. */
const webhookHashSchema = z.object({
  id: z.string(),
  owner: z.string(),
  url: z.string(),
  events: z.string().optional(),
  secret: z.string(),
  created_at: z.string(),
});
const webhookEventsSchema = z.array(z.enum(ROOM_EVENT_TYPES)).nullable();

/** Webhooks belong to the API key that registered them and receive that key's rooms' events. */
export class WebhookStore {
  constructor(private readonly redis: Redis) {}

  async create(owner: string, url: string, events: RoomEventType[] | null): Promise<{ webhook: Webhook; secret: string }> {
    const id = `wh_${randomBytes(9).toString('base64url').replace(/[-_]/g, '0')}`;
    const secret = `whsec_${randomBytes(24).toString('base64url')}`;
    const webhook: Webhook = { id, url, events, created_at: new Date().toISOString() };
    await this.redis
      .multi()
      .hset(webhookKey(id), { id, owner, url, events: JSON.stringify(events), secret, created_at: webhook.created_at })
      .hset(ownerWebhookFilters(owner), id, events ? `,${events.join(',')},` : '*')
      .exec();
    return { webhook, secret };
  }

  async find(id: string): Promise<StoredWebhook | undefined> {
    const h = await this.redis.hgetall(webhookKey(id));
    if (!h.id) return undefined;
    const what = `webhook ${id}`;
    const { events, ...stored } = parseWith(webhookHashSchema, h, what);
    return { ...stored, events: parseJsonWith(webhookEventsSchema, events ?? 'null', what) };
  }

  async get(owner: string, id: string): Promise<Webhook | undefined> {
    const w = await this.find(id);
    return w && w.owner === owner ? publicView(w) : undefined;
  }

  async list(owner: string): Promise<Webhook[]> {
    const ids = (await this.redis.hkeys(ownerWebhookFilters(owner))).sort();
    const hooks = await Promise.all(ids.map((id) => this.find(id)));
    return hooks.filter((w): w is StoredWebhook => w !== undefined).map(publicView);
  }

  async delete(owner: string, id: string): Promise<boolean> {
    const w = await this.find(id);
    if (!w || w.owner !== owner) return false;
    await this.redis.multi().del(webhookKey(id)).hdel(ownerWebhookFilters(owner), id).exec();
    return true;
  }
}

function publicView(w: StoredWebhook): Webhook {
  return { id: w.id, url: w.url, events: w.events, created_at: w.created_at };
}
