import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Metrics } from '../../../common/metrics.js';
import { ProblemError } from '../../../common/problem.js';
import { DELIVERIES, type ViewerLatencyWindow } from '../../rooms/viewer-latency.js';
import { RateLimiter } from '../rate-limiter.js';
import { defineRoute } from '../route.js';
import { requestBody, roomIdParams } from '../schemas.js';
import { bearerToken, verifyViewerToken, type ViewerTokenDeps } from '../viewer-token.js';

/** A report is a few small numbers: ~120 bytes. Anything near this is not a report. */
export const MAX_TELEMETRY_BYTES = 1024;
/**
 * Players report every 5 s. A session may send one every 2 s (3 at once: a report delayed behind a
 * stalled network arrives with the next); a token at most 2 a second across its sessions, so that
 * making up session ids does not multiply the rate.
 */
export const TELEMETRY_LIMITS = { perSession: { perSecond: 0.5, burst: 3 }, perToken: { perSecond: 2, burst: 10 } };

export const telemetryBody = requestBody('ViewerTelemetry', {
  session: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, '8-64 letters, digits, _ or -').meta({ description: 'The player session, random per playback: one viewer in the room window.' }),
  delivery: z.enum(DELIVERIES),
  latency_s: z.number().min(0).max(600).nullable().meta({ description: 'Glass-to-glass latency now, seconds; null while not measurable.' }),
  rebuffers: z.number().int().min(0).max(100).default(0).meta({ description: 'Stalls since the previous report.' }),
});

export interface TelemetryRoutesDeps extends ViewerTokenDeps {
  metrics: Pick<Metrics, 'viewerLatency' | 'viewerRebuffers'>;
  window: Pick<ViewerLatencyWindow, 'report'>;
  limits?: typeof TELEMETRY_LIMITS;
}

const CORS = { 'Access-Control-Allow-Origin': '*' };

const parseSmallJson = express.json({ limit: MAX_TELEMETRY_BYTES, strict: true, type: () => true });

/** The body, at most MAX_TELEMETRY_BYTES of JSON (413 body_too_large beyond, even when chunked). */
const smallJsonBody: RequestHandler = (req, res, next) => {
  if (!req.is('application/json')) {
    next(new ProblemError('unsupported_media_type', 'send the report as application/json'));
    return;
  }
  parseSmallJson(req, res, next);
};

/**
 * `POST /v1/rooms/{id}/telemetry`: what a viewer's player measures, every few seconds. Authorised by
 * the viewer's own token (room or playback token: no API key), so it is mounted before the API-key
 * authentication, with its own small body limit and CORS (the SDK runs on integrators' pages).
 */
export function telemetryRoutes(deps: TelemetryRoutesDeps, registry: OpenAPIRegistry): Router {
  const limits = deps.limits ?? TELEMETRY_LIMITS;
  const perSession = new RateLimiter(limits.perSession.perSecond, limits.perSession.burst);
  const perToken = new RateLimiter(limits.perToken.perSecond, limits.perToken.burst);
  const router = Router();
  const path = '/rooms/:id/telemetry';
  router.options(path, (_req, res) => {
    res
      .status(204)
      .set({ ...CORS, Allow: 'POST, OPTIONS', 'Access-Control-Allow-Methods': 'POST, OPTIONS', 'Access-Control-Allow-Headers': 'Authorization, Content-Type', 'Access-Control-Max-Age': '86400' })
      .end();
  });
  router.post(path, (_req, res, next) => {
    res.set({ ...CORS, 'Cache-Control': 'no-store' });
    next();
  });
  router.post(path, smallJsonBody);
  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: `/v1${path}`,
      tag: 'Telemetry',
      summary: "Report a viewer's latency",
      description:
        'Players (`@levelchat/web`, `/sdk/levelchat-player.js`) send this every 5 s while playing, with the viewer\'s room token or playback token as `Authorization: Bearer`. ' +
        'Feeds `levelchat_viewer_latency_seconds` / `levelchat_viewer_rebuffers_total` and the room\'s `viewers` in `GET /v1/rooms/{id}`.',
      authenticated: 'roomToken',
      params: roomIdParams,
      body: telemetryBody,
      responses: { 204: { description: 'Taken' } },
      errors: {
        400: 'Invalid report',
        401: 'Missing, invalid, expired or revoked token',
        403: 'A room token of another room (token_room_mismatch)',
        413: `Body over ${MAX_TELEMETRY_BYTES} bytes`,
        415: 'Body is not JSON',
        429: 'Reports too frequent (rate_limited, Retry-After)',
      },
    },
    async ({ params, body, req }) => {
      const viewer = await verifyViewerToken(deps, params.id, bearerToken(req));
      const now = Date.now();
      const wait = Math.max(perToken.take(viewer.token, now), perSession.take(`${params.id}\n${viewer.identity}\n${body.session}`, now));
      if (wait > 0) throw new ProblemError('rate_limited', 'report at most every 2 s', { headers: { 'Retry-After': String(wait) } });
      if (body.latency_s !== null) deps.metrics.viewerLatency.observe({ delivery: body.delivery }, body.latency_s);
      if (body.rebuffers > 0) deps.metrics.viewerRebuffers.inc({ delivery: body.delivery }, body.rebuffers);
      // A full window (VIEWERS_PER_ROOM) keeps the viewers it has; the metrics above still count everyone.
      await deps.window.report(params.id, `${viewer.identity}\n${body.session}`, body.latency_s, now);
      return { status: 204 };
    },
  );
  return router;
}
