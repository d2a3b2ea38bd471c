import { randomBytes } from 'node:crypto';
import type { Redis, Result } from 'ioredis';
import { z } from 'zod';
import { parseJsonWith, parseWith } from '../../common/json-payload.js';
import { ownerWebhookFilters, WEBHOOK_QUEUED_FIELD, webhookHash } from '../events/event-keys.js';
import { ROOM_EVENT_TYPES, type RoomEventType } from '../events/room-event.js';

export interface Webhook {
  id: string;
  url: string;
  /** `null`: every event. */
  events: RoomEventType[] | null;
  created_at: string;
  /** Events not queued for it because its queue for a room was full (WEBHOOK_QUEUE_MAX) or all its queues were (WEBHOOK_BACKLOG_MAX). */
  dropped_events: number;
  /** Events waiting for it now, over all its rooms (what WEBHOOK_BACKLOG_MAX bounds): how far its receiver is behind. */
  queued_events: number;
}

export interface StoredWebhook extends Webhook {
  owner: string;
  /** The owner's key tree (its root key id): deliveries are shared fairly between trees. */
  tenant: string;
  secret: string;
}

/**
 * Webhooks one API key may have. Every room event of the key runs through all of them inside the
 * emitting Lua script (and fills a delivery queue for each), so the number is bounded.
 */
export const WEBHOOKS_PER_KEY = 20;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    lcWebhookCreate(hash: string, filters: string, limit: number, id: string, filter: string, ...fields: string[]): Result<number, Context>;
  }
}

// Registers the webhook unless its owner has `limit` already: the check and the write are one step,
// so concurrent registrations cannot pass the cap together.
const CREATE_LUA = `
if redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1
`;

/** A webhook's hash in Redis; `events` is JSON (`null`: every event), and absent means every event too. */
const webhookHashSchema = z.object({
  id: z.string(),
  owner: z.string(),
  /** Absent on webhooks registered before tenants were recorded: their owner stands in. */
  tenant: z.string().optional(),
  url: z.string(),
  events: z.string().optional(),
  secret: z.string(),
  created_at: z.string(),
  /** Written by the emitting Lua (emit-script.ts), absent until the first drop. */
  dropped_events: z.string().regex(/^\d+$/).optional(),
  /** Events its queues hold, kept by the emitting Lua and the dispatcher's pop; absent until the first. */
  [WEBHOOK_QUEUED_FIELD]: z.string().regex(/^\d+$/).optional(),
});
const webhookEventsSchema = z.array(z.enum(ROOM_EVENT_TYPES)).nullable();

/** Webhooks belong to the API key that registered them and receive that key's rooms' events. */
export class WebhookStore {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('lcWebhookCreate', { numberOfKeys: 2, lua: CREATE_LUA });
  }

  /** The new webhook and its secret, or `limit` when the owner has WEBHOOKS_PER_KEY already. */
  async create(owner: string, tenant: string, url: string, events: RoomEventType[] | null): Promise<{ webhook: Webhook; secret: string } | 'limit'> {
    const id = `wh_${randomBytes(9).toString('base64url').replace(/[-_]/g, '0')}`;
    const secret = `whsec_${randomBytes(24).toString('base64url')}`;
    const webhook: Webhook = { id, url, events, created_at: new Date().toISOString(), dropped_events: 0, queued_events: 0 };
    const fields = { id, owner, tenant, url, events: JSON.stringify(events), secret, created_at: webhook.created_at };
    const filter = events ? `,${events.join(',')},` : '*';
    const created = await this.redis.lcWebhookCreate(webhookHash(id), ownerWebhookFilters(owner), WEBHOOKS_PER_KEY, id, filter, ...Object.entries(fields).flat());
    return created === 1 ? { webhook, secret } : 'limit';
  }

  async find(id: string): Promise<StoredWebhook | undefined> {
    const h = await this.redis.hgetall(webhookHash(id));
    if (!h.id) return undefined;
    const what = `webhook ${id}`;
    const { events, tenant, dropped_events, [WEBHOOK_QUEUED_FIELD]: queued, ...stored } = parseWith(webhookHashSchema, h, what);
    return {
      ...stored,
      tenant: tenant ?? stored.owner,
      events: parseJsonWith(webhookEventsSchema, events ?? 'null', what),
      dropped_events: Number(dropped_events ?? 0),
      queued_events: Number(queued ?? 0),
    };
  }

  /** The tenant (key tree) of each webhook, in one round trip; undefined for a webhook that is gone. */
  async tenantsOf(ids: string[]): Promise<(string | undefined)[]> {
    const replies = await ids.reduce((p, id) => p.hmget(webhookHash(id), 'tenant', 'owner'), this.redis.pipeline()).exec();
    return ids.map((_, i) => {
      const [tenant, owner] = (replies?.[i]?.[1] ?? []) as (string | null)[];
      return tenant ?? owner ?? undefined;
    });
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

  /** Deletes every webhook of `owner` (a deleted key: its rooms' events go to no one). */
  async deleteAllOf(owner: string): Promise<void> {
    const ids = await this.redis.hkeys(ownerWebhookFilters(owner));
    const tx = this.redis.multi();
    for (const id of ids) tx.del(webhookHash(id));
    await tx.del(ownerWebhookFilters(owner)).exec();
  }

  async delete(owner: string, id: string): Promise<boolean> {
    const w = await this.find(id);
    if (!w || w.owner !== owner) return false;
    await this.redis.multi().del(webhookHash(id)).hdel(ownerWebhookFilters(owner), id).exec();
    return true;
  }
}

function publicView(w: StoredWebhook): Webhook {
  return { id: w.id, url: w.url, events: w.events, created_at: w.created_at, dropped_events: w.dropped_events, queued_events: w.queued_events };
}
