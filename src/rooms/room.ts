import type { RoomConfig, RoomType } from './room-types.js';

export const ROOM_STATES = ['created', 'active', 'ended', 'archived'] as const;
export type RoomState = (typeof ROOM_STATES)[number];

/** Why a room ended: the last participant left (it may become active again), or the host ended it. */
export type EndedReason = 'empty' | 'host_ended';

export interface RoomTransition {
  state: RoomState;
  at: string;
}

/** A room as stored in Redis (one JSON document per room). */
export interface Room {
  id: string;
  external_id: string | null;
  type: RoomType;
  config: RoomConfig;
  state: RoomState;
  created_at: string;
  transitions: RoomTransition[];
  ended_reason: EndedReason | null;
  participants: number;
  /** Set on a breakout room: the room it was split from. */
  parent_id?: string;
  /** A hybrid room that became a broadcast mid-session. */
  promoted?: boolean;
  /** The API key that created the room; only that key sees it. Never returned by the API. */
  owner: string;
}

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
