// The messages a node's room inbox (room-inbox.ts) takes from Redis pub/sub, one zod schema each.
// Each is checked against the type its publisher writes, so the two cannot drift apart.
import { z } from 'zod';
import type { RoomControl } from '../events/room-control.js';
import { roomEventSchema } from '../events/room-event.js';
import type { EndedReason } from '../rooms/room.js';
import { roomIdSchema } from './wire-schemas.js';

/** A hybrid room became a broadcast. */
export const roomPromotedSchema = roomEventSchema.extend({ type: z.literal('room.promoted') });

export const roomEndedSchema = roomEventSchema.extend({
  type: z.literal('room.ended'),
  data: z.object({ reason: z.enum(['empty', 'host_ended']) satisfies z.ZodType<EndedReason> }),
});

/** Every other room event: for webhooks and the SFU, nothing signaling acts on. */
const otherRoomEventSchema = roomEventSchema.extend({ type: roomEventSchema.shape.type.exclude(['room.promoted', 'room.ended']) });

/** What arrives on the room events channel. */
export const roomEventMessageSchema = z.discriminatedUnion('type', [roomPromotedSchema, roomEndedSchema, otherRoomEventSchema]);

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

/** What arrives on the room control channel. */
export const roomControlSchema = z.discriminatedUnion('type', [kickSchema, stageInviteSchema]);

export type RoomEventMessage = z.infer<typeof roomEventMessageSchema>;
export type RoomPromoted = z.infer<typeof roomPromotedSchema>;
export type RoomEnded = z.infer<typeof roomEndedSchema>;
export type KickControl = z.infer<typeof kickSchema>;
export type StageInviteControl = z.infer<typeof stageInviteSchema>;
