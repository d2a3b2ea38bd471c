import path from 'node:path';
import express, { Router } from 'express';
import { projectRoot } from '../../common/compiled-entry.js';

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
        res.set({ 'Cache-Control': 'no-cache', 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' });
      },
    }),
  );
  router.use(
    '/',
    express.static(path.join(players, 'demo'), {
      index: 'index.html',
      setHeaders: (res) => {
        res.set('Cache-Control', 'no-cache');
      },
    }),
  );
  return router;
}
