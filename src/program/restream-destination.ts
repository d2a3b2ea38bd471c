import type { DestinationGuard } from '../webhooks/destination-guard.js';
import { DomainError } from '../../common/problem.js';

/** Where a restream may push: RTMP, RTMP over TLS, SRT. */
export const RESTREAM_SCHEMES = ['rtmp:', 'rtmps:', 'srt:'] as const;

export class RestreamDestinationError extends DomainError<'restream_destination_refused'> {
  constructor(message: string) {
    super('restream_destination_refused', message);
  }
}

/** What ffmpeg is given to reach a checked destination. */
export interface Dial {
  /** The URL ffmpeg opens. */
  target: string;
  /** The container for it: FLV over RTMP(S), MPEG-TS over SRT. */
  format: 'flv' | 'mpegts';
  outputOptions: string[];
}

const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** The URL, parsed, if it names an RTMP(S) or SRT destination with a host. */
export function parseDestination(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RestreamDestinationError('not a URL');
  }
  if (!(RESTREAM_SCHEMES as readonly string[]).includes(url.protocol)) throw new RestreamDestinationError('the URL must be rtmp://, rtmps:// or srt://');
  if (!url.hostname) throw new RestreamDestinationError('the URL has no host');
  return url;
}

/**
 * Checks a destination's host the way webhook destinations are checked (DestinationGuard: public
 * unicast addresses only, unless LEVELCHAT_WEBHOOK_ALLOW_PRIVATE), at registration and before every
 * push attempt, and says how ffmpeg dials it. RTMP and SRT dial the checked address itself, so the
 * name cannot resolve elsewhere in between (DNS rebinding); RTMP keeps the name in its tcUrl for the
 * server. RTMPS dials the name (TLS needs it for SNI): it is checked right before each attempt.
 */
export async function dialDestination(raw: string, guard: Pick<DestinationGuard, 'addressesFor'>): Promise<Dial> {
  const url = parseDestination(raw);
  let address: string;
  try {
    address = (await guard.addressesFor(hostOf(url)))[0]!.address;
  } catch {
    throw new RestreamDestinationError("the URL's host must resolve, and only to public addresses (no loopback, private, link-local, multicast or unspecified address)");
  }
  const literal = address.includes(':') ? `[${address}]` : address;
  if (url.protocol === 'srt:') {
    const dialed = new URL(url.href);
    dialed.hostname = literal;
    return { target: dialed.href, format: 'mpegts', outputOptions: [] };
  }
  if (url.protocol === 'rtmps:') return { target: url.href, format: 'flv', outputOptions: [] };
  const dialed = `rtmp://${literal}${url.port ? `:${url.port}` : ''}${url.pathname}${url.search}`;
  // The application is the path up to its last segment (the stream key), as ffmpeg's RTMP client splits it.
  const app = url.pathname.slice(0, url.pathname.lastIndexOf('/'));
  return { target: dialed, format: 'flv', outputOptions: ['-rtmp_tcurl', `rtmp://${url.host}${app}`] };
}
