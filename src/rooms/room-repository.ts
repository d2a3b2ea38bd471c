import type { Redis, Result } from 'ioredis';
import type { DeliveryKick } from '../events/delivery-kick.js';
import { buildEvent } from '../events/room-event.js';
import { roomEventsChannel } from '../events/event-keys.js';
import { ROOM_COUNTS_KEY } from './room-counts.js';
import { createRoomLua, roomActionLua } from './room-scripts.js';
import { parseJsonWith } from '../../common/json-payload.js';
import { storedRoomSchema, type Room, type RoomState } from './room.js';
import type { RoomType } from './room-types.js';

export const roomKey = (id: string) => `lc:room:${id}`;
const ownerIndex = (owner: string) => `lc:rooms:owner:${owner}`;

export type RoomAction = 'join' | 'leave' | 'end' | 'archive' | 'promote';
export type RoomActionError = 'room_not_found' | 'room_archived' | 'room_ended' | 'not_ended' | 'not_hybrid' | 'already_promoted';

export interface ListFilter {
  state?: RoomState;
  type?: RoomType;
  limit: number;
  cursor?: string;
}

// A listing reads the owner's index in pages and filters; one request never scans more than this.
const LIST_SCAN_BUDGET = 2000;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    lcCreateRoom(room: string, index: string, counts: string, json: string, score: string, event: string): Result<string[], Context>;
    lcRoomAction(room: string, counts: string, action: string, now: string, started: string, ended: string, archived: string, promoted: string): Result<string[], Context>;
  }
}

/** Rooms in Redis: one JSON document each, an index per owner key, and atomic state changes. */
export class RoomRepository {
  constructor(
    private readonly redis: Redis,
    private readonly kick: DeliveryKick,
  ) {
    redis.defineCommand('lcCreateRoom', { numberOfKeys: 3, lua: createRoomLua(roomEventsChannel(redis)) });
    redis.defineCommand('lcRoomAction', { numberOfKeys: 2, lua: roomActionLua(roomEventsChannel(redis)) });
  }

  /** Creates the room unless its id exists; returns the stored room and whether it was new. */
  async create(room: Room): Promise<{ room: Room; created: boolean }> {
    const event = buildEvent('room.created', room.id, { type: room.type, external_id: room.external_id }, new Date(room.created_at));
    const [status, json, ...queues] = await this.redis.lcCreateRoom(
      roomKey(room.id),
      ownerIndex(room.owner),
      ROOM_COUNTS_KEY,
      JSON.stringify(room),
      String(Date.parse(room.created_at)),
      JSON.stringify(event),
    );
    await this.kick.queuesFilled(queues);
    return { room: parseRoom(json!, room.id), created: status === 'created' };
  }

  async get(id: string): Promise<Room | undefined> {
    const json = await this.redis.get(roomKey(id));
    return json ? parseRoom(json, id) : undefined;
  }

  /**
   * Applies a lifecycle action atomically. `changed` says a state transition (or end) happened;
   * an error code says why the action was refused.
   */
  async act(id: string, action: RoomAction): Promise<{ room: Room; changed: boolean } | { error: RoomActionError }> {
    const now = new Date();
    const [status, json, ...queues] = await this.redis.lcRoomAction(
      roomKey(id),
      ROOM_COUNTS_KEY,
      action,
      now.toISOString(),
      JSON.stringify(buildEvent('room.started', id, { state: 'active' }, now)),
      JSON.stringify(buildEvent('room.ended', id, { state: 'ended', reason: action === 'end' ? 'host_ended' : 'empty' }, now)),
      JSON.stringify(buildEvent('room.archived', id, { state: 'archived' }, now)),
      JSON.stringify(buildEvent('room.promoted', id, { type: 'broadcast' }, now)),
    );
    if (status !== 'ok' && status !== 'changed') return { error: status as RoomActionError };
    await this.kick.queuesFilled(queues);
    return { room: parseRoom(json!, id), changed: status === 'changed' };
  }

  /** The owner's rooms, newest first, filtered; `next_cursor` continues where this page stopped. */
  async list(owner: string, filter: ListFilter): Promise<{ rooms: Room[]; next_cursor: string | null }> {
    let max = '+inf';
    let skipThrough: string | undefined;
    if (filter.cursor) {
      const decoded = decodeCursor(filter.cursor);
      if (!decoded) throw new InvalidCursorError();
      max = String(decoded.score);
      skipThrough = decoded.id;
    }
    const rooms: Room[] = [];
    let scanned = 0;
    let offset = 0;
    let last: { score: number; id: string } | undefined;
    while (rooms.length < filter.limit && scanned < LIST_SCAN_BUDGET) {
      const page = await this.redis.zrange(ownerIndex(owner), max, '-inf', 'BYSCORE', 'REV', 'LIMIT', offset, 100, 'WITHSCORES');
      if (page.length === 0) return { rooms, next_cursor: null };
      offset += page.length / 2;
      const entries: { id: string; score: number }[] = [];
      for (let i = 0; i < page.length; i += 2) entries.push({ id: page[i]!, score: Number(page[i + 1]) });
      // Entries at the cursor's score up to (and including) the cursor's id were on earlier pages.
      const fresh = skipThrough === undefined ? entries : dropThrough(entries, Number(max), skipThrough);
      skipThrough = undefined;
      const docs = fresh.length ? await this.redis.mget(fresh.map((e) => roomKey(e.id))) : [];
      for (let i = 0; i < fresh.length; i += 1) {
        scanned += 1;
        last = fresh[i];
        const json = docs[i];
        if (!json) continue;
        const room = parseRoom(json, fresh[i]!.id);
        if ((filter.state && room.state !== filter.state) || (filter.type && room.type !== filter.type)) continue;
        rooms.push(room);
        if (rooms.length === filter.limit) break;
      }
    }
    return { rooms, next_cursor: last ? encodeCursor(last.score, last.id) : null };
  }
}

export class InvalidCursorError extends Error {
  readonly code = 'invalid_cursor';
}

function dropThrough(entries: { id: string; score: number }[], score: number, id: string) {
  const at = entries.findIndex((e) => e.score === score && e.id === id);
  return at >= 0 ? entries.slice(at + 1) : entries;
}

function encodeCursor(score: number, id: string): string {
  return Buffer.from(`${score}:${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { score: number; id: string } | undefined {
  if (cursor.length > 400) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString();
  const m = /^(\d{1,16}):(r_[A-Za-z0-9._-]{1,126})$/.exec(text);
  return m ? { score: Number(m[1]), id: m[2]! } : undefined;
}

// A document that does not parse is a PayloadError: the API answers 500, the process carries on.
function parseRoom(json: string, id: string): Room {
  return parseJsonWith(storedRoomSchema, json, `room ${id}`);
}
