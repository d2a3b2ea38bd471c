/**
 * The LL-HLS ladder, highest first. `source` is the publisher's video (passed through when it is
 * H.264, else transcoded at its size); `720p` and `360p` are scaled H.264 encodes (never upscaled).
 */
export const HLS_RENDITIONS = ['source', '720p', '360p'] as const;
export type HlsRendition = (typeof HLS_RENDITIONS)[number];

/** Renditions in ladder order (highest first), whatever order they were given in. */
export const inLadderOrder = (renditions: readonly HlsRendition[]): HlsRendition[] => HLS_RENDITIONS.filter((r) => renditions.includes(r));
