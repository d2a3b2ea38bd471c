import type { Redis } from 'ioredis';
import { ROOM_STATES, type RoomState } from './room.js';
import { ROOM_TYPES, type RoomType } from './room-types.js';

/**
 * How many rooms the cluster holds in each (state, type): one Redis hash, field `<state>:<type>`,
 * changed by the room scripts in the same Lua call as the room itself (room-scripts.ts), so reading
 * it costs one HGETALL of at most 28 fields whatever the number of rooms. Rooms stored before the
 * counts existed are not in them.
 */
export const ROOM_COUNTS_KEY = 'lc:rooms:counts';

export interface RoomCount {
  state: RoomState;
  type: RoomType;
  count: number;
}

/** Every (state, type), zero when no room is in it, so a dashboard's series do not come and go. */
export async function readRoomCounts(redis: Redis): Promise<RoomCount[]> {
  const fields = await redis.hgetall(ROOM_COUNTS_KEY);
  return ROOM_STATES.flatMap((state) => ROOM_TYPES.map((type) => ({ state, type, count: Math.max(0, Number(fields[`${state}:${type}`] ?? 0)) })));
}
