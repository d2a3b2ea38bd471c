// Object names relative to a rendition's playlist; the storage layer prefixes hls/{room_id}/{rendition}/.

/** The first init segment is init.mp4; after an encoder restart (discontinuity) init1.mp4, init2.mp4, … */
export const initUri = (generation: number): string => (generation === 0 ? 'init.mp4' : `init${generation}.mp4`);

export const partUri = (msn: number, index: number): string => `part${msn}.${index}.m4s`;

export const segmentUri = (msn: number): string => `seg${msn}.m4s`;
