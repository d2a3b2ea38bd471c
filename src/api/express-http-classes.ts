import http from 'node:http';
import type { Express } from 'express';

/**
 * Request and response classes for `http.createServer` whose instances are born with `app`'s
 * prototypes; they become `app.request` / `app.response`. Express otherwise swaps the prototype
 * of every request and response (`Object.setPrototypeOf`), and in V8 that keeps a large part of
 * each request's garbage alive through young-generation GCs: with the stock classes a bare
 * express app kept ~3 MB per scavenge at 1,000 req/s and paused 4–6 ms each time; with these,
 * ~11 KB and 0.3 ms (bench/README.md, rooms-create). Express's own call then changes nothing.
 * ES subclasses matter: `Reflect.construct` with a function as `newTarget` kept the survivors.
 */
export function expressHttpClasses(app: Express): Pick<http.ServerOptions, 'IncomingMessage' | 'ServerResponse'> {
  class Request extends http.IncomingMessage {}
  class Response extends http.ServerResponse {}
  Object.setPrototypeOf(Request.prototype, app.request);
  Object.setPrototypeOf(Response.prototype, app.response);
  app.request = Request.prototype as Express['request'];
  app.response = Response.prototype as Express['response'];
  return { IncomingMessage: Request, ServerResponse: Response as typeof http.ServerResponse };
}
