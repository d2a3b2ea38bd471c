import type { OutgoingHttpHeader, ServerResponse } from 'node:http';
import { IMMUTABLE_CACHE_CONTROL, MEDIA_CONTENT_TYPE, PLAYLIST_CACHE_CONTROL, PLAYLIST_CONTENT_TYPE } from '../../pipeline/publish/hls-objects.js';
import type { MasterState, RenditionState } from '../../pipeline/publish/playlist-state.js';

/** A 200 answer of the origin, written with plain node:http calls (express helpers cost more than the answer). */
export interface OriginResponse {
  /** Flat [name, value, …]: node writes such a list as it is when nothing was set before. */
  headers: readonly OutgoingHttpHeader[];
  body: Buffer;
}

/** Exactly what express' res.type(…).set('Cache-Control', …).send(text) sent before. */
const PLAYLIST_TYPE = `${PLAYLIST_CONTENT_TYPE}; charset=utf-8`;
/** A token-gated answer is for its viewer only. */
export const PRIVATE_PLAYLIST_CACHE_CONTROL = 'private, no-store';

/**
 * A media playlist asked without delivery directives changes with every part (0.22 s): shorter than
 * HTTP's smallest max-age, so no shared cache keeps it.
 */
export const LIVE_PLAYLIST_CACHE_CONTROL = 'public, max-age=0';

/**
 * A blocking answer (_HLS_msn[, _HLS_part]) satisfies that request for good: a later copy from a cache
 * still lists the part asked for. Kept three target durations, so a cache answers every viewer
 * waiting for the same update with one origin request (RFC 8216bis 6.2.5.2's hold, over again).
 */
export const blockingPlaylistCacheControl = (targetDuration: number): string => `public, max-age=${3 * targetDuration}`;
export const PRIVATE_MEDIA_CACHE_CONTROL = 'private, max-age=31536000, immutable';

export function playlistResponse(text: string, cacheControl: string): OriginResponse {
  const body = Buffer.from(text);
  return { headers: ['Content-Type', PLAYLIST_TYPE, 'Cache-Control', cacheControl, 'Content-Length', body.length], body };
}

export function mediaResponse(bytes: Buffer, cacheControl: string): OriginResponse {
  return { headers: ['Content-Type', MEDIA_CONTENT_TYPE, 'Cache-Control', cacheControl, 'Content-Length', bytes.length], body: bytes };
}

/** Public media: one response object per Buffer, as the Buffer is shared by every viewer of it. */
const mediaResponses = new WeakMap<Buffer, OriginResponse>();

export function publicMediaResponse(bytes: Buffer): OriginResponse {
  let response = mediaResponses.get(bytes);
  if (!response) mediaResponses.set(bytes, (response = mediaResponse(bytes, IMMUTABLE_CACHE_CONTROL)));
  return response;
}

type Shape = 'full' | 'delta' | 'blockingFull' | 'blockingDelta';

/**
 * Public playlists: rendered to bytes once per published state and shape, then shared by every
 * request answered with that state — a burst of blocking reloads all wake on the same one. Entries
 * go with their state object (each update replaces it).
 */
const playlistResponses = new WeakMap<RenditionState | MasterState, Partial<Record<Shape, OriginResponse>>>();

/** `blocking`: the answer to a request with delivery directives (see blockingPlaylistCacheControl). */
export function publicPlaylistResponse(state: RenditionState, skip: boolean, blocking = false): OriginResponse {
  const shapes = shapesOf(state);
  const text = skip ? state.delta : state.full;
  if (blocking) return (shapes[skip ? 'blockingDelta' : 'blockingFull'] ??= playlistResponse(text, blockingPlaylistCacheControl(state.targetDuration)));
  return (shapes[skip ? 'delta' : 'full'] ??= playlistResponse(text, LIVE_PLAYLIST_CACHE_CONTROL));
}

export function publicMasterResponse(master: MasterState): OriginResponse {
  return (shapesOf(master).full ??= playlistResponse(master.text, PLAYLIST_CACHE_CONTROL));
}

function shapesOf(state: RenditionState | MasterState): Partial<Record<Shape, OriginResponse>> {
  let shapes = playlistResponses.get(state);
  if (!shapes) playlistResponses.set(state, (shapes = {}));
  return shapes;
}

export interface WriteOptions {
  head: boolean;
  /** express' req.fresh: only `If-None-Match: *` can make it true, as the origin sends no validators. */
  notModified?: boolean;
  /** Headers to write first, flat (what the app would have set). */
  before?: readonly OutgoingHttpHeader[];
}

/** Writes `response` as express' res.send() did: no body for HEAD; a 304 has no Content-Type and Content-Length. */
export function writeResponse(res: ServerResponse, response: OriginResponse, { head, notModified = false, before }: WriteOptions): void {
  const headers = before ? before.concat(response.headers) : response.headers;
  if (notModified) {
    res.writeHead(304, without(headers, NOT_MODIFIED_DROPS)).end();
    return;
  }
  res.writeHead(200, headers as OutgoingHttpHeader[]);
  if (head) res.end();
  else res.end(response.body);
}

const NOT_MODIFIED_DROPS: ReadonlySet<string> = new Set(['Content-Type', 'Content-Length']);

function without(headers: readonly OutgoingHttpHeader[], names: ReadonlySet<string>): OutgoingHttpHeader[] {
  const kept: OutgoingHttpHeader[] = [];
  for (let i = 0; i < headers.length; i += 2) if (!names.has(String(headers[i]))) kept.push(headers[i]!, headers[i + 1]!);
  return kept;
}
