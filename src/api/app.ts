import express, { type Express } from 'express';
import type { Logger } from '../logger.js';
import { healthRoutes, type HealthDeps } from './health-routes.js';
import { notFoundHandler, problemHandler } from './problem.js';

export interface AppDeps extends HealthDeps {
  logger: Logger;
}

/** The HTTP face of a node. Tests build it around real parts and listen on a random port. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use((_req, res, next) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY' });
    next();
  });
  app.use(healthRoutes(deps));
  app.use(notFoundHandler);
  app.use(
    problemHandler((err, status) => {
      if (status >= 500) deps.logger.error({ err }, 'request failed');
    }),
  );
  return app;
}
