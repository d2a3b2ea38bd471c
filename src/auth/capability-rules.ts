// What capabilities allow, for the server and the browser SDK alike (the SDK checks before it lights
// a camera; the server checks again). Type imports only: esbuild bundles this file into the SDK, so
// it must stay free of Node and of zod (capabilities.ts holds the list and its schema).
import type { Capability } from './capabilities.js';

/**
 * Which capabilities allow publishing each media source; any one of them will do. Keyed by the
 * protocol's sources (signaling, above this layer, indexes it with its MediaSource: a source
 * missing here does not compile there).
 */
export const SOURCE_CAPABILITIES = {
  camera: ['publish:camera'],
  microphone: ['publish:camera', 'publish:audio'],
  screen: ['publish:screen'],
  'screen-audio': ['publish:screen'],
} as const satisfies Record<string, readonly Capability[]>;

export type PublishedSource = keyof typeof SOURCE_CAPABILITIES;

/** Capabilities that allow publishing something: holding one puts a participant on stage. */
export const PUBLISH_CAPABILITIES: readonly Capability[] = [...new Set(Object.values(SOURCE_CAPABILITIES).flat())];

/** The refusal both sides give when no capability for `source` is held. */
export function publishRequirement(source: PublishedSource): string {
  return `publishing ${source} needs ${SOURCE_CAPABILITIES[source].join(' or ')}`;
}

/** An audience token: it may neither publish nor moderate. */
export function isAudience(capabilities: readonly Capability[]): boolean {
  return !capabilities.some((c) => PUBLISH_CAPABILITIES.includes(c) || c === 'moderate:participants');
}
