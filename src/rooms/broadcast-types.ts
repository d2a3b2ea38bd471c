// Which room types are broadcasts, for the server and the browser demo. Its own file because
// room-types.ts holds the zod schemas: importing it from browser code would bundle zod.
import type { RoomType } from './room-types.js';

/**
 * Room types with a stage and a counted audience (rather than everyone announced), delivered over
 * LL-HLS too. `live` is an alias of `broadcast`; a `hybrid` room becomes a broadcast when promoted.
 */
const BROADCAST_TYPES: ReadonlySet<string> = new Set<RoomType>(['broadcast', 'live', 'webinar']);

export function isBroadcastType(type: string): boolean {
  return BROADCAST_TYPES.has(type);
}
