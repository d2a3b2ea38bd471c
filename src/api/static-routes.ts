import path from 'node:path';
import express, { Router } from 'express';
import { projectRoot } from '../../common/compiled-entry.js';

/**
 * The console holds an API key, so its pages run only the scripts we serve: no inline script or
 * style, no eval, no plugins, no framing. Media and workers come from blob: URLs (MediaSource,
 * hls.js's worker); signaling and LL-HLS may be on any node of the cluster (another origin).
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self' http: https: ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_SECURITY_HEADERS = {
  'Content-Security-Policy': CONSOLE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/**
 * Browser code built by the set-up into dist/players: the @levelchat/web bundle at
 * `/sdk/levelchat-web.js` (importable from any page) and the demo console at `/`.
 */
export function staticRoutes(): Router {
  const router = Router();
  const players = path.join(projectRoot(), 'dist', 'players');
  router.use(
    '/sdk',
    express.static(path.join(players, 'sdk'), {
      fallthrough: true,
      setHeaders: (res) => {
        res.set({ 'Cache-Control': 'no-cache', 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin', 'X-Content-Type-Options': 'nosniff' });
      },
    }),
  );
  router.use(
    '/',
    express.static(path.join(players, 'demo'), {
      index: 'index.html',
      setHeaders: (res) => {
        res.set({ 'Cache-Control': 'no-cache', ...PAGE_SECURITY_HEADERS });
      },
    }),
  );
  return router;
}
