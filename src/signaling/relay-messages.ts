// What the room relay (room-relay.ts) writes to Redis and publishes, as zod schemas: the relayed
// room events, the presence entries and the per-node counts. Read back only through these.
import { z } from 'zod';
import { questionSchema } from '../rooms/question-store.js';
import type { ServerEvents } from './protocol.js';
import { chatMessageSchema, nodeIdSchema, participantInfoSchema, roomIdSchema, trackInfoSchema } from './wire-schemas.js';

/** One relayed event: the node it happened on, the room, and the event's data as the protocol has it. */
function relayed<E extends keyof ServerEvents>(event: E, data: z.ZodType<ServerEvents[E]>) {
  return z.object({ node: nodeIdSchema, room_id: roomIdSchema, event: z.literal(event), data });
}

const participantTrack = { producer_id: z.string(), participant_id: z.string() };

/**
 * Room events every node's participants see, whichever node they happen on. Events each node
 * derives on its own from the room's event stream (promoted, room-ended) and per-node counts
 * (viewer-count) are not relayed.
 */
export const relayMessageSchema = z.discriminatedUnion('event', [
  relayed('participant-joined', participantInfoSchema),
  relayed('participant-left', z.object({ id: z.string(), identity: z.string() })),
  relayed('track-published', trackInfoSchema),
  relayed('track-unpublished', z.object(participantTrack)),
  relayed('track-muted', z.object({ ...participantTrack, by: z.string() })),
  relayed('active-speaker', z.object({ participant_id: z.string().nullable() })),
  relayed(
    'connection-quality',
    z.object({ qualities: z.array(z.object({ participant_id: z.string(), rtt: z.number().nullable(), fraction_lost: z.number().nullable() })) }),
  ),
  relayed('chat', chatMessageSchema),
  relayed('chat-deleted', z.object({ message_id: z.string(), by: z.string() })),
  relayed('reaction', z.object({ participant_id: z.string(), emoji: z.string() })),
  relayed('hand', z.object({ participant_id: z.string(), raised: z.boolean() })),
  relayed('stage', z.object({ participant_id: z.string(), on_stage: z.boolean() })),
  relayed('question', questionSchema),
  relayed(
    'breakouts',
    z.object({ open: z.boolean(), rooms: z.array(z.object({ room_id: z.string(), number: z.number(), identities: z.array(z.string()) })) }),
  ),
]);

export type RelayMessage = z.infer<typeof relayMessageSchema>;
export type RelayedEvent = RelayMessage['event'];

export const RELAYED_EVENTS: ReadonlySet<keyof ServerEvents> = new Set<keyof ServerEvents>(relayMessageSchema.options.map((o) => o.shape.event.value));

/** A participant announced on another node. */
export const remoteParticipantSchema = z.object({ node: nodeIdSchema, info: participantInfoSchema });
export type RemoteParticipant = z.infer<typeof remoteParticipantSchema>;

/** A track published on another node, and the router there that holds its producer. */
export const remoteTrackSchema = z.object({ node: nodeIdSchema, router_id: z.string(), info: trackInfoSchema });
export type RemoteTrack = z.infer<typeof remoteTrackSchema>;

/** A node's count in a per-node hash (members, viewers). */
export const nodeCountSchema = z.coerce.number().int();
