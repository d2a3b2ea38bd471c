// The messages a node's room inbox (room-inbox.ts) takes from Redis pub/sub, one zod schema each.
// Each is checked against the type its publisher writes, so the two cannot drift apart.
import { z } from 'zod';
import type { RoomControl } from '../events/room-control.js';
import { ROOM_EVENT_TYPES } from '../events/room-event.js';
import type { EndedReason } from '../rooms/room.js';
import { relayMessageSchema } from './relay-messages.js';
import { jsonOf, roomIdSchema } from './wire-schemas.js';

/** A hybrid room became a broadcast. */
export const roomPromotedSchema = z.object({ type: z.literal('room.promoted'), room_id: roomIdSchema });

export const roomEndedSchema = z.object({
  type: z.literal('room.ended'),
  room_id: roomIdSchema,
  data: z.object({ reason: z.enum(['empty', 'host_ended']) satisfies z.ZodType<EndedReason> }),
});

/** Every other room event: for webhooks and the SFU, nothing signaling acts on. */
const otherRoomEventSchema = z.object({ type: z.enum(ROOM_EVENT_TYPES).exclude(['room.promoted', 'room.ended']), room_id: roomIdSchema });

/** Kick the holders of an identity out of a room (a moderator, or a revoked token). */
export const kickSchema = z.object({
  type: z.literal('kick'),
  room_id: roomIdSchema,
  identity: z.string().min(1),
  reason: z.enum(['kicked', 'revoked']),
}) satisfies z.ZodType<Extract<RoomControl, { type: 'kick' }>>;

/** The room's origin invited on stage a participant some node may hold. */
export const stageInviteSchema = z.object({
  type: z.literal('stage-invite'),
  room_id: roomIdSchema,
  participant_id: z.string().min(1),
  signaling_url: z.string().min(1),
}) satisfies z.ZodType<Extract<RoomControl, { type: 'stage-invite' }>>;

export type RoomPromoted = z.infer<typeof roomPromotedSchema>;
export type RoomEnded = z.infer<typeof roomEndedSchema>;
export type KickControl = z.infer<typeof kickSchema>;
export type StageInviteControl = z.infer<typeof stageInviteSchema>;

/** What each inbox channel carries, as the JSON text that arrives. */
export const roomEventJson = jsonOf(z.discriminatedUnion('type', [roomPromotedSchema, roomEndedSchema, otherRoomEventSchema]));
export const roomControlJson = jsonOf(z.discriminatedUnion('type', [kickSchema, stageInviteSchema]));
export const relayMessageJson = jsonOf(relayMessageSchema);
