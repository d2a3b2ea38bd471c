import { Router, type NextFunction, type Request, type Response } from 'express';
import { hlsFastPathFailure } from './hls-fast-path.js';
import { HlsOrigin, type HlsOriginOptions } from './hls-origin.js';
import { parseHlsFile, parseRendition, parseRoomId, type HlsRoute } from './hls-request.js';
import { writeResponse } from './origin-responses.js';

/**
 * The LL-HLS origin as express routes (errors are problem+json: the app's problemHandler renders
 * them). Every path segment is validated before it reaches a key. Put withHlsFastPath() in front of
 * the app and these answer only what it hands over: unusual forms of the paths, and its failures.
 * `origin`: the one the fast path uses, or its options for an app without a fast path.
 */
export function hlsOriginRoutes(origin: HlsOrigin | HlsOriginOptions): Router {
  const hls = origin instanceof HlsOrigin ? origin : new HlsOrigin(origin);
  const router = Router();

  // Public, segment-addressed content: any page may play it (hls.js fetches cross-origin).
  router.use('/hls', (_req, res, next) => {
    res.set('Access-Control-Allow-Origin', '*');
    next();
  });

  // A request the fast path failed: its error, for the app's problemHandler.
  router.use((req, _res, next) => next(hlsFastPathFailure(req)));

  const answer = async (req: Request, res: Response, route: HlsRoute) => {
    const response = await hls.serve(route, req.query as Record<string, unknown>, res);
    if (response) writeResponse(res, response, { head: req.method === 'HEAD', notModified: req.fresh });
  };

  router.get('/hls/:roomId/master.m3u8', (req, res) => answer(req, res, { kind: 'master', roomId: parseRoomId(req.params.roomId) }));

  router.get('/hls/:roomId/:rendition/index.m3u8', (req, res) =>
    answer(req, res, { kind: 'playlist', roomId: parseRoomId(req.params.roomId), rendition: parseRendition(req.params.rendition) }),
  );

  router.get('/hls/:roomId/:rendition/:file', (req, res) =>
    answer(req, res, { kind: 'media', roomId: parseRoomId(req.params.roomId), rendition: parseRendition(req.params.rendition), file: parseHlsFile(req.params.file) }),
  );

  // No cache keeps a failure (a late part's 503, a part asked too early): the app's problemHandler renders it.
  router.use('/hls', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    res.set('Cache-Control', 'no-store');
    next(err);
  });

  return router;
}
