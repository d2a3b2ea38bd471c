import { z } from 'zod';

/**
 * Tokens are scoped, not roles: each capability allows one kind of action and is checked at the
 * moment of use. `publish:camera` covers camera and microphone; `publish:audio` alone allows the
 * microphone only (for audio-only speakers).
 */
export const CAPABILITIES = [
  'publish:camera',
  'publish:audio',
  'publish:screen',
  'subscribe:all',
  'chat:send',
  'reactions:send',
  'hand:raise',
  'moderate:participants',
] as const;

export type Capability = (typeof CAPABILITIES)[number];

export const capabilitySchema = z.enum(CAPABILITIES);
