import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { DestinationRefusedError, hostOf, type DestinationGuard } from './destination-guard.js';

/**
 * What one delivery attempt did. `error` is one of a few generic words, never the socket's errno:
 * the delivery log is shown to the tenant, and `ECONNREFUSED` against `ETIMEDOUT` would tell an
 * open port from a closed one.
 */
export interface PostOutcome {
  ok: boolean;
  httpStatus: number | null;
  /** `destination_refused` | `connect_failed` | `timeout` | `http_<status>`; null when delivered. */
  error: string | null;
  durationMs: number;
}

class DeadlineError extends Error {}

/**
 * POSTs `body` to `url` through node:http(s), connecting only to addresses the guard checked (its
 * `lookup`; IP literals are checked here because sockets skip the lookup for them). One deadline
 * covers the whole attempt (resolving, connecting, TLS, sending, the response head): a receiver
 * that accepts and never answers costs `timeoutMs`, not more. Redirects are not followed, and the
 * response body is never read.
 */
export async function postWebhook(guard: DestinationGuard, url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<PostOutcome> {
  const started = Date.now();
  const done = (httpStatus: number | null, error: string | null): PostOutcome => ({ ok: error === null, httpStatus, error, durationMs: Date.now() - started });
  try {
    const target = new URL(url);
    const host = hostOf(url);
    if (isIP(host)) await guard.addressesFor(host);
    const status = await send(guard, target, host, headers, body, timeoutMs);
    return done(status, status >= 200 && status < 300 ? null : `http_${status}`);
  } catch (err) {
    if (err instanceof DestinationRefusedError) return done(null, 'destination_refused');
    if (err instanceof DeadlineError) return done(null, 'timeout');
    return done(null, 'connect_failed');
  }
}

function send(guard: DestinationGuard, target: URL, host: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(
      {
        protocol: target.protocol,
        hostname: host,
        port: target.port || undefined,
        path: `${target.pathname}${target.search}`,
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' },
        // A fresh connection each time, resolved through the guard (no pooled socket outlives a check).
        agent: false,
        lookup: guard.lookup,
      },
      (res) => {
        resolve(res.statusCode ?? 0);
        res.destroy();
      },
    );
    const deadline = setTimeout(() => req.destroy(new DeadlineError()), timeoutMs);
    req.on('close', () => clearTimeout(deadline));
    req.on('error', reject);
    req.end(body);
  });
}
