// What capabilities allow, for the server and the browser SDK alike (the SDK checks before it lights
// a camera; the server checks again). Type imports only: esbuild bundles this file into the SDK, so
// it must stay free of Node and of zod (capabilities.ts holds the list and its schema).
import type { MediaSource } from '../signaling/protocol.js';
import type { Capability } from './capabilities.js';

/** Which capabilities allow publishing each source; any one of them will do. */
export const SOURCE_CAPABILITIES: Readonly<Record<MediaSource, readonly Capability[]>> = {
  camera: ['publish:camera'],
  microphone: ['publish:camera', 'publish:audio'],
  screen: ['publish:screen'],
  'screen-audio': ['publish:screen'],
};

/** Capabilities that allow publishing something: holding one puts a participant on stage. */
export const PUBLISH_CAPABILITIES: readonly Capability[] = [...new Set(Object.values(SOURCE_CAPABILITIES).flat())];

/** The refusal both sides give when no capability of `source` is held. */
export function publishRequirement(source: MediaSource): string {
  return `publishing ${source} needs ${SOURCE_CAPABILITIES[source].join(' or ')}`;
}

/** An audience token: it may neither publish nor moderate. */
export function isAudience(capabilities: readonly Capability[]): boolean {
  return !capabilities.some((c) => PUBLISH_CAPABILITIES.includes(c) || c === 'moderate:participants');
}
