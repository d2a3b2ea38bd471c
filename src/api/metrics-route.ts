import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { Metrics } from '../../common/metrics.js';
import { ProblemError, problemBody } from '../../common/problem.js';

export interface MetricsRouteDeps {
  metrics: Metrics;
  /** LEVELCHAT_METRICS_TOKEN: required as `Authorization: Bearer <token>` when set. */
  token: string | undefined;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * `GET /metrics`: the process' metrics in the Prometheus text format. Answers its refusal itself
 * (problem+json), so it works the same in a pipeline worker's app, which has no problem handler.
 */
export function metricsRoute({ metrics, token }: MetricsRouteDeps): Router {
  const router = Router();
  const expected = token === undefined ? undefined : digest(`Bearer ${token}`);
  router.get('/metrics', async (req, res, next) => {
    // Compared as digests: constant time, whatever the length of what was sent.
    if (expected && !timingSafeEqual(digest(req.headers.authorization ?? ''), expected)) {
      const problem = new ProblemError('metrics_unauthorized', 'send Authorization: Bearer <LEVELCHAT_METRICS_TOKEN>');
      res.status(problem.status).set({ 'WWW-Authenticate': 'Bearer', 'Cache-Control': 'no-store' }).type('application/problem+json').send(JSON.stringify(problemBody(problem)));
      return;
    }
    try {
      const { contentType, text } = await metrics.render();
      res.set('Cache-Control', 'no-store').type(contentType).send(text);
    } catch (err) {
      next(err);
    }
  });
  return router;
}
