// A small, independent reader of the playlists we render, so tests check the text rather than the model.

export type Attributes = Record<string, string>;

/** Attribute list `A=1,B="x,y"` → { A: '1', B: 'x,y' }. */
export function attributes(list: string): Attributes {
  const out: Attributes = {};
  for (const match of list.matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) {
    out[match[1]!] = match[2]!.replace(/^"(.*)"$/, '$1');
  }
  return out;
}

export interface ParsedPart {
  duration: number;
  uri: string;
  independent: boolean;
}

export interface ParsedSegment {
  discontinuity: boolean;
  map: string | undefined;
  programDateTime: string | undefined;
  parts: ParsedPart[];
  /** Absent for the open segment (parts only). */
  duration?: number;
  uri?: string;
}

export interface ParsedPlaylist {
  /** Playlist-level tags by name (value after the colon, '' when none). */
  tags: Map<string, string>;
  skipped: number;
  segments: ParsedSegment[];
  open: ParsedSegment | undefined;
  preloadHint: Attributes | undefined;
  renditionReports: Attributes[];
  ended: boolean;
}

const SEGMENT_TAGS = new Set(['EXT-X-DISCONTINUITY', 'EXT-X-MAP', 'EXT-X-PROGRAM-DATE-TIME', 'EXT-X-PART', 'EXTINF']);

export function parsePlaylist(text: string): ParsedPlaylist {
  if (!text.startsWith('#EXTM3U\n') || !text.endsWith('\n')) throw new Error('not a playlist');
  const playlist: ParsedPlaylist = {
    tags: new Map(),
    skipped: 0,
    segments: [],
    open: undefined,
    preloadHint: undefined,
    renditionReports: [],
    ended: false,
  };
  const fresh = (): ParsedSegment => ({ discontinuity: false, map: undefined, programDateTime: undefined, parts: [] });
  let current = fresh();
  let touched = false;
  for (const line of text.slice('#EXTM3U\n'.length, -1).split('\n')) {
    if (!line.startsWith('#')) {
      playlist.segments.push({ ...current, uri: line });
      current = fresh();
      touched = false;
      continue;
    }
    const colon = line.indexOf(':');
    const name = line.slice(1, colon === -1 ? undefined : colon);
    const value = colon === -1 ? '' : line.slice(colon + 1);
    if (SEGMENT_TAGS.has(name)) touched = true;
    if (name === 'EXT-X-DISCONTINUITY') current.discontinuity = true;
    else if (name === 'EXT-X-MAP') current.map = attributes(value).URI;
    else if (name === 'EXT-X-PROGRAM-DATE-TIME') current.programDateTime = value;
    else if (name === 'EXTINF') current.duration = Number(value.replace(/,$/, ''));
    else if (name === 'EXT-X-PART') {
      const a = attributes(value);
      current.parts.push({ duration: Number(a.DURATION), uri: a.URI!, independent: a.INDEPENDENT === 'YES' });
    } else if (name === 'EXT-X-SKIP') playlist.skipped = Number(attributes(value)['SKIPPED-SEGMENTS']);
    else if (name === 'EXT-X-PRELOAD-HINT') playlist.preloadHint = attributes(value);
    else if (name === 'EXT-X-RENDITION-REPORT') playlist.renditionReports.push(attributes(value));
    else if (name === 'EXT-X-ENDLIST') playlist.ended = true;
    else playlist.tags.set(name, value);
  }
  if (touched) playlist.open = current;
  return playlist;
}

/** Every URI a playlist names (init sections, parts, segments), once each. */
export function urisOf(playlist: ParsedPlaylist): string[] {
  const all = [...playlist.segments, ...(playlist.open ? [playlist.open] : [])];
  return [...new Set(all.flatMap((s) => [s.map, ...s.parts.map((p) => p.uri), s.uri]).filter((u): u is string => !!u))];
}
