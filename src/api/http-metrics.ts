import type { Request, RequestHandler } from 'express';
import type { Metrics } from '../../common/metrics.js';

/** The route label of requests no route matched (404s, static files): raw paths would be unbounded. */
export const UNMATCHED_ROUTE = 'unmatched';

/** The path a router was mounted at, as it was when the request entered it (see rememberMount). */
const mounts = new WeakMap<Request, string>();

/**
 * Records every request express answers in levelchat_http_request_duration_seconds, labelled with
 * the route template that matched (`/v1/rooms/:id`), never the path. Installed first on the app;
 * the work is one `finish` listener per request and one histogram observation after the response.
 */
export function observeHttp(metrics: Pick<Metrics, 'httpRequestDuration'>): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      const status = res.statusCode;
      metrics.httpRequestDuration.observe(
        { method: req.method, route: routeTemplate(req), status_class: `${Math.floor(status / 100)}xx` },
        (performance.now() - started) / 1000,
      );
    });
    next();
  };
}

/**
 * Put at the start of a router mounted under a path (`app.use('/v1', rememberMount, router)`): the
 * template of a route of that router is the mount path + the route's own. Needed because express
 * restores `req.baseUrl` when a request leaves the router, as one that failed does on its way to the
 * app's error handler, before its response is finished.
 */
export const rememberMount: RequestHandler = (req, _res, next) => {
  mounts.set(req, req.baseUrl);
  next();
};

function routeTemplate(req: Request): string {
  const route = (req as { route?: { path?: unknown } }).route;
  if (typeof route?.path !== 'string') return UNMATCHED_ROUTE;
  return (mounts.get(req) ?? req.baseUrl) + route.path;
}
