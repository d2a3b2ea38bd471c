import { z } from 'zod';
import { resolvedRoomConfigSchema, roomTypeSchema } from './room-types.js';

export const ROOM_STATES = ['created', 'active', 'ended', 'archived'] as const;
export type RoomState = (typeof ROOM_STATES)[number];

/** Why a room ended: the last participant left (it may become active again), or the host ended it. */
const endedReasonSchema = z.enum(['empty', 'host_ended']);
export type EndedReason = z.infer<typeof endedReasonSchema>;

const roomTransitionSchema = z.object({ state: z.enum(ROOM_STATES), at: z.string() });
export type RoomTransition = z.infer<typeof roomTransitionSchema>;

/**
 * A room as stored in Redis (one JSON document per room). Read on every REST call and join, so it
 * checks types and enums only: no formats, no refinements.
 */
export const storedRoomSchema = z.object({
  id: z.string(),
  external_id: z.string().nullable(),
  type: roomTypeSchema,
  config: resolvedRoomConfigSchema,
  state: z.enum(ROOM_STATES),
  created_at: z.string(),
  transitions: z.array(roomTransitionSchema),
  ended_reason: endedReasonSchema.nullable(),
  participants: z.number(),
  /** Set on a breakout room: the room it was split from. */
  parent_id: z.string().optional(),
  /** A hybrid room that became a broadcast mid-session. */
  promoted: z.boolean().optional(),
  /** The API key that created the room; only that key sees it. Never returned by the API. */
  owner: z.string(),
});

export type Room = z.infer<typeof storedRoomSchema>;

/** What the REST API returns for a room. */
export function roomView(room: Room) {
  return {
    id: room.id,
    external_id: room.external_id,
    type: room.type,
    config: room.config,
    state: room.state,
    created_at: room.created_at,
    transitions: room.transitions,
    ended_reason: room.ended_reason,
    participant_count: room.participants,
    promoted: room.promoted === true,
    parent_id: room.parent_id ?? null,
  };
}

export type RoomView = ReturnType<typeof roomView>;
