import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/** Every event a room can emit; webhooks subscribe to these names. */
export const ROOM_EVENT_TYPES = [
  'room.created',
  'room.started',
  'room.ended',
  'room.archived',
  'room.promoted',
  'participant.joined',
  'participant.left',
  'participant.hand_raised',
  'track.published',
  'track.unpublished',
  'breakout.opened',
  'breakout.closed',
  'question.asked',
  'question.answered',
  'recording.ready',
  'hls.started',
  'hls.ended',
  'ingest.connected',
  'ingest.disconnected',
  'restream.started',
  'restream.failed',
] as const;

export type RoomEventType = (typeof ROOM_EVENT_TYPES)[number];

/** The one shape of an event: in the room's stream, on pub/sub, and as a webhook body. */
export const roomEventSchema = z.object({
  id: z.string(),
  type: z.enum(ROOM_EVENT_TYPES),
  room_id: z.string(),
  created_at: z.string(),
  data: z.record(z.string(), z.unknown()),
});

export type RoomEvent = z.infer<typeof roomEventSchema>;

export function newEventId(): string {
  return `evt_${Date.now().toString(36)}${randomBytes(8).toString('hex')}`;
}

export function buildEvent(type: RoomEventType, roomId: string, data: Record<string, unknown>, at = new Date()): RoomEvent {
  return { id: newEventId(), type, room_id: roomId, created_at: at.toISOString(), data };
}
