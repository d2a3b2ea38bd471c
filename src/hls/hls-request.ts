import { ProblemError } from '../../common/problem.js';
import { isValidRoomId } from '../../common/room-id.js';

/** A file the origin serves from storage; names are exactly those pipeline/llhls/names.ts produces. */
export type HlsFile =
  | { kind: 'init'; name: string }
  | { kind: 'part'; name: string; number: number }
  | { kind: 'segment'; name: string; msn: number };

/** Renditions are named by the pipeline: `v` + base-36 start time. */
const RENDITION = /^v[0-9a-z]{1,16}$/;
const INIT = /^init(?:[1-9][0-9]{0,5})?\.mp4$/;
const PART = /^part(0|[1-9][0-9]{0,11})\.m4s$/;
const SEGMENT = /^seg(0|[1-9][0-9]{0,9})\.m4s$/;
/** Decimal-integer attribute values, bounded so they stay exact as JS numbers. */
const UINT = /^(0|[1-9][0-9]{0,14})$/;

export function parseRoomId(value: string): string {
  if (!isValidRoomId(value)) throw new ProblemError('invalid_room_id', 'room ids look like r_<letters, digits, . _ ->');
  return value;
}

const isRendition = (value: string): boolean => RENDITION.test(value);

export function parseRendition(value: string): string {
  if (!isRendition(value)) throw new ProblemError('invalid_rendition', `no rendition is named ${JSON.stringify(value.slice(0, 40))}`);
  return value;
}

/** The file `name` designates, or undefined when the packager writes no such name. */
function hlsFileOf(name: string): HlsFile | undefined {
  if (INIT.test(name)) return { kind: 'init', name };
  const part = PART.exec(name);
  if (part) return { kind: 'part', name, number: Number(part[1]) };
  const segment = SEGMENT.exec(name);
  if (segment) return { kind: 'segment', name, msn: Number(segment[1]) };
  return undefined;
}

export function parseHlsFile(name: string): HlsFile {
  const file = hlsFileOf(name);
  if (!file) throw new ProblemError('invalid_file_name', 'expected init*.mp4, part<n>.m4s or seg<msn>.m4s');
  return file;
}

/** What an origin request asks for, its path segments validated. */
export type HlsRoute =
  | { kind: 'master'; roomId: string }
  | { kind: 'playlist'; roomId: string; rendition: string }
  | { kind: 'media'; roomId: string; rendition: string; file: HlsFile };

/**
 * The route of a URL path in the canonical form players use — `/hls/{room}/master.m3u8`,
 * `/hls/{room}/{rendition}/index.m3u8`, `/hls/{room}/{rendition}/{file}` with valid names and
 * nothing percent-encoded — else undefined: the express routes (case-insensitive, a trailing slash
 * allowed, params decoded) answer every other form, errors included, as before.
 */
export function canonicalHlsRoute(path: string): HlsRoute | undefined {
  if (!path.startsWith('/hls/') || path.includes('%')) return undefined;
  const [, , roomId, second, third, ...rest] = path.split('/');
  if (rest.length > 0 || !roomId || !second || !isValidRoomId(roomId)) return undefined;
  if (third === undefined) return second === 'master.m3u8' ? { kind: 'master', roomId } : undefined;
  if (!isRendition(second)) return undefined;
  if (third === 'index.m3u8') return { kind: 'playlist', roomId, rendition: second };
  const file = hlsFileOf(third);
  return file && { kind: 'media', roomId, rendition: second, file };
}

/** RFC 8216bis 6.2.5 delivery directives of a media playlist request. */
export interface DeliveryDirectives {
  msn?: number;
  part?: number;
  /** _HLS_skip=YES (v2, which also skips date ranges, is answered as YES: we write none). */
  skip: boolean;
}

const single = (value: unknown, name: string): string | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ProblemError('invalid_delivery_directive', `${name} given more than once`);
  return value;
};

export function parseDeliveryDirectives(query: Record<string, unknown>): DeliveryDirectives {
  const msn = single(query._HLS_msn, '_HLS_msn');
  const part = single(query._HLS_part, '_HLS_part');
  const skip = single(query._HLS_skip, '_HLS_skip');
  const directive = (value: string, name: string) => {
    if (!UINT.test(value)) throw new ProblemError('invalid_delivery_directive', `${name} must be a non-negative integer`);
    return Number(value);
  };
  // RFC 8216bis 6.2.5.2: _HLS_part without _HLS_msn is a malformed request.
  if (part !== undefined && msn === undefined) throw new ProblemError('invalid_delivery_directive', '_HLS_part needs _HLS_msn');
  if (skip !== undefined && skip !== 'YES' && skip !== 'v2') throw new ProblemError('invalid_delivery_directive', '_HLS_skip must be YES or v2');
  return {
    ...(msn !== undefined ? { msn: directive(msn, '_HLS_msn') } : {}),
    ...(part !== undefined ? { part: directive(part, '_HLS_part') } : {}),
    skip: skip !== undefined,
  };
}
