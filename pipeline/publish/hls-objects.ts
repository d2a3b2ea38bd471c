// How LL-HLS objects are named in storage and which headers they carry, shared by the publisher
// (which writes them) and the origin (which serves them).
import type { HlsRendition } from '../renditions.js';

/**
 * A rendition's directory under hls/{room_id}/: its run's name (`v` + base-36 start time: never
 * reused, so immutably cached object names stay unique) for `source`, with the rung appended for
 * the others (`v…360p`). The origin accepts exactly these (src/hls/hls-request.ts).
 */
export const renditionName = (run: string, rendition: HlsRendition): string => (rendition === 'source' ? run : `${run}${rendition}`);

/** Object key of a rendition's file: hls/{room_id}/{rendition}/{name}. Callers validate every part first. */
export const hlsKey = (roomId: string, rendition: string, name: string): string => `hls/${roomId}/${rendition}/${name}`;

export const masterKey = (roomId: string): string => `hls/${roomId}/master.m3u8`;

export const MEDIA_CONTENT_TYPE = 'video/mp4';
export const PLAYLIST_CONTENT_TYPE = 'application/vnd.apple.mpegurl';

/** Init, parts and segments never change under a name (each stream run has its own rendition name). */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** A playlist changes with every part: a CDN may share it for about one part's time, no longer. */
export const PLAYLIST_CACHE_CONTROL = 'public, max-age=1';
