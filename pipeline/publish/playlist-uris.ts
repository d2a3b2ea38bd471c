// Which objects a playlist we rendered names, as storage keys. Pure: used by the upload spool to keep
// the parts a live playlist still lists, and to check a stored playlist never names a dropped part.

/**
 * The URIs a media or multivariant playlist names as objects a client may fetch: segment and variant
 * lines, EXT-X-MAP and EXT-X-PART URIs. EXT-X-PRELOAD-HINT (a part that does not exist yet, by
 * definition) and EXT-X-RENDITION-REPORT (another playlist's position) are not included.
 */
export function namedUris(text: string): string[] {
  const uris: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (!line.startsWith('#')) {
      uris.push(line);
      continue;
    }
    if (line.startsWith('#EXT-X-PART:') || line.startsWith('#EXT-X-MAP:')) {
      const uri = /(?:^|[:,])URI="([^"]*)"/.exec(line)?.[1];
      if (uri) uris.push(uri);
    }
  }
  return uris;
}

/**
 * A relative URI of a playlist stored under `playlistKey`, as a storage key: `hls/r/v1/index.m3u8` +
 * `part3.1.m4s` → `hls/r/v1/part3.1.m4s`. Absolute URLs, rooted paths and `..` do not name objects
 * of ours: undefined.
 */
export function keyOfUri(playlistKey: string, uri: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri) || uri.startsWith('/') || uri.split(/[/?#]/).includes('..')) return undefined;
  const path = uri.split(/[?#]/)[0] ?? '';
  if (path === '') return undefined;
  const slash = playlistKey.lastIndexOf('/');
  return slash < 0 ? path : `${playlistKey.slice(0, slash + 1)}${path}`;
}

/** The storage keys a playlist stored under `playlistKey` names (see namedUris). */
export function namedKeys(playlistKey: string, text: string): string[] {
  return namedUris(text).flatMap((uri) => {
    const key = keyOfUri(playlistKey, uri);
    return key === undefined ? [] : [key];
  });
}
