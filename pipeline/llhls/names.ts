// Object names relative to a rendition's playlist; the storage layer prefixes hls/{room_id}/{rendition}/.

/** The first init segment is init.mp4; after an encoder restart (discontinuity) init1.mp4, init2.mp4, … */
export const initUri = (generation: number): string => (generation === 0 ? 'init.mp4' : `init${generation}.mp4`);

/**
 * Parts are numbered across the playlist's life, not within their segment: the part named by
 * EXT-X-PRELOAD-HINT is then always the next one produced, whether or not a segment boundary (a
 * keyframe, known only when it arrives) comes first.
 */
export const partUri = (number: number): string => `part${number}.m4s`;

export const segmentUri = (msn: number): string => `seg${msn}.m4s`;

/** A part of a gap segment (GAP=YES): never stored, never fetched; outside the numbering above. */
export const gapPartUri = (msn: number, index: number): string => `gap${msn}.${index}.m4s`;
