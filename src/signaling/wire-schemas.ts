// zod schemas of the protocol shapes that signaling keeps in Redis or passes between nodes. Each is
// checked against its protocol.ts type (`z.ZodType<T>`), so the two cannot drift apart. Anything
// read back is parsed with them: another node, another version or a stray write may have put it there.
import { z } from 'zod';
import { MEDIA_SOURCES, type ChatMessage, type ParticipantInfo, type TrackInfo } from './protocol.js';

export const roomIdSchema = z.string().min(1).max(256);
export const nodeIdSchema = z.string().min(1).max(256);

export const participantInfoSchema: z.ZodType<ParticipantInfo> = z.object({
  id: z.string(),
  identity: z.string(),
  name: z.string().nullable(),
  metadata: z.string().nullable(),
  hand_raised: z.boolean(),
  on_stage: z.boolean(),
});

export const trackInfoSchema: z.ZodType<TrackInfo> = z.object({
  producer_id: z.string(),
  participant_id: z.string(),
  kind: z.enum(['audio', 'video']),
  source: z.enum(MEDIA_SOURCES),
  paused: z.boolean(),
});

const chatMessageObject = z.object({
  id: z.string(),
  participant_id: z.string(),
  identity: z.string(),
  text: z.string(),
  at: z.string(),
});

export const chatMessageSchema: z.ZodType<ChatMessage> = chatMessageObject;

/** A chat message as stored: its id is where it is stored (the stream entry id). */
export const chatBodySchema: z.ZodType<Omit<ChatMessage, 'id'>> = chatMessageObject.omit({ id: true });
