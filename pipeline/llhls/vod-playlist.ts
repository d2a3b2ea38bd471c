import { LlHlsError } from './errors.js';
import { segmentBodyLines, segmentHeadLines, targetDurationFor, type Segment } from './segment.js';

/**
 * The recording of a stream as a VOD playlist: every closed segment, no parts, EXT-X-ENDLIST.
 * Version 6 is the lowest that allows EXT-X-MAP in a media playlist.
 */
export function renderVodPlaylist(segments: readonly Segment[]): string {
  const first = segments[0];
  if (!first) throw new LlHlsError('a VOD playlist needs at least one segment');
  const target = Math.max(1, ...segments.map((s) => targetDurationFor(s.duration)));
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:6',
    `#EXT-X-TARGETDURATION:${target}`,
    '#EXT-X-PLAYLIST-TYPE:VOD',
    `#EXT-X-MEDIA-SEQUENCE:${first.msn}`,
  ];
  let mapUri: string | undefined;
  for (const segment of segments) {
    // A recording starts where its first segment starts; a discontinuity there has nothing to separate.
    const head = segment === first ? { ...segment, discontinuity: false } : segment;
    lines.push(...segmentHeadLines(head, mapUri), ...segmentBodyLines(segment));
    mapUri = segment.mapUri;
  }
  lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}
