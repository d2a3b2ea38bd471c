import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { ClientAddress } from '../../common/client-address.js';
import type { Metrics } from '../../common/metrics.js';
import { ViewerSessions } from './viewer-sessions.js';

/** What an origin request asks for, as a label: a fixed set, whatever the URL. */
export type HlsRequestKind = 'playlist' | 'blocking' | 'part' | 'segment' | 'init' | 'other';

/**
 * Counts every /hls/ request a node answers, by kind and status, whoever answers it (the fast path
 * or the express routes behind it), and notes the session of each playlist request for the viewer
 * estimate. In front of the node's request listener: per request a prefix test, and for /hls/ one
 * `finish` listener whose work (a few string tests and one increment) runs after the response is
 * written.
 */
export function withHlsMetrics(listener: RequestListener, metrics: Pick<Metrics, 'hlsRequests' | 'hlsViewers'>, addressOf: ClientAddress): RequestListener {
  const sessions = new ViewerSessions();
  metrics.hlsViewers.read((add) => add(sessions.count()));
  const record = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '';
    const kind = hlsRequestKind(url);
    const status = res.statusCode;
    metrics.hlsRequests.inc({ kind, status: String(status) });
    if ((kind === 'playlist' || kind === 'blocking') && status < 400) sessions.seen(sessionOf(req, url, addressOf));
  };
  return (req, res) => {
    if (req.url?.startsWith('/hls/')) res.once('finish', () => record(req, res));
    listener(req, res);
  };
}

/** The kind of an /hls/ URL from its last path segment and its query (names: pipeline/llhls/names.ts). */
export function hlsRequestKind(url: string): HlsRequestKind {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const file = path.slice(path.lastIndexOf('/') + 1);
  if (file.endsWith('.m3u8')) return q >= 0 && /[?&]_HLS_msn=/.test(url.slice(q)) ? 'blocking' : 'playlist';
  if (file.endsWith('.m4s')) return file.startsWith('part') ? 'part' : file.startsWith('seg') ? 'segment' : 'other';
  if (file.startsWith('init') && file.endsWith('.mp4')) return 'init';
  return 'other';
}

/** A viewer's session: its playback token when it has one, else its address and user agent. */
function sessionOf(req: IncomingMessage, url: string, addressOf: ClientAddress): string {
  const q = url.indexOf('?');
  const token = q < 0 ? null : new URLSearchParams(url.slice(q + 1)).get('token');
  if (token) return `t ${token}`;
  const auth = req.headers.authorization;
  if (auth) return `a ${auth}`;
  return `c ${addressOf(req)} ${req.headers['user-agent'] ?? ''}`;
}
