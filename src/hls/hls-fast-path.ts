import type { IncomingMessage, OutgoingHttpHeader, OutgoingHttpHeaders, RequestListener } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { HlsOrigin } from './hls-origin.js';
import { canonicalHlsRoute } from './hls-request.js';
import { writeResponse } from './origin-responses.js';

const failures = new WeakMap<IncomingMessage, unknown>();

/** The error the fast path failed `req` with, if it did (hlsOriginRoutes hands it to the app's problemHandler). */
export const hlsFastPathFailure = (req: IncomingMessage): unknown => failures.get(req);

const NO_QUERY: Record<string, unknown> = Object.freeze({});

/**
 * The origin's hot path, in front of the express `app` whose hlsOriginRoutes use the same `origin`:
 * GET/HEAD of a canonical /hls/ path (hls-request.ts canonicalHlsRoute) is answered with plain
 * node:http calls — express costs ~70 µs of CPU per request (it swaps the prototypes of req and
 * res), several times what the origin itself spends on a part or a playlist. Everything else goes
 * to `app` untouched, and so does every failure, with its error (the app renders problem+json).
 * Conditional requests go to the app too: only express knows when to answer them 304.
 *
 * @param appHeaders what the app sets on every response (its security headers)
 */
export function withHlsFastPath(origin: HlsOrigin, app: RequestListener, appHeaders: OutgoingHttpHeaders): RequestListener {
  const before = Object.entries({ ...appHeaders, 'Access-Control-Allow-Origin': '*' }).flat() as OutgoingHttpHeader[];
  return (req, res) => {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const route = fastPathRequest(req, url) ? canonicalHlsRoute(q < 0 ? url : url.slice(0, q)) : undefined;
    if (!route) {
      app(req, res);
      return;
    }
    const query = q < 0 ? NO_QUERY : (parseQuery(url.slice(q + 1)) as Record<string, unknown>);
    origin.serve(route, query, res).then(
      (response) => response && writeResponse(res, response, { head: req.method === 'HEAD', before }),
      (err: unknown) => {
        failures.set(req, err);
        app(req, res);
      },
    );
  };
}

/** GET/HEAD, not conditional, and a URL express would not read another way (a `#` makes it parse the URL fully). */
function fastPathRequest(req: IncomingMessage, url: string): boolean {
  const { method, headers } = req;
  return (method === 'GET' || method === 'HEAD') && headers['if-none-match'] === undefined && headers['if-modified-since'] === undefined && !url.includes('#');
}
