import express, { Router, type Express } from 'express';
import type { ClusterNode } from '../cluster/cluster-node.js';
import { nodeRoutes } from './routes/nodes.js';
import type { ClientAddress } from '../../common/client-address.js';
import type { Logger } from '../../common/logger.js';
import type { Metrics } from '../../common/metrics.js';
import type { Redis } from 'ioredis';
import type { RecordingStore } from '../../pipeline/recording/recording-store.js';
import type { ApiKeyStore } from '../auth/api-key-store.js';
import type { KeyRetirement } from '../auth/key-retirement.js';
import type { EdSigningKeys } from '../auth/ed-signing-keys.js';
import type { Revocations } from '../auth/revocations.js';
import type { TokenMinter } from '../auth/token-minter.js';
import type { AttendanceLog } from '../rooms/attendance.js';
import type { QuestionStore } from '../rooms/question-store.js';
import type { RegistrationStore } from '../rooms/registrations.js';
import type { RoomRepository } from '../rooms/room-repository.js';
import type { RoomService } from '../rooms/room-service.js';
import type { DeliveryLog } from '../webhooks/delivery-log.js';
import type { DestinationGuard } from '../webhooks/destination-guard.js';
import type { WebhookStore } from '../webhooks/webhook-store.js';
import type { RequestListener } from 'node:http';
import { withHlsFastPath } from '../hls/hls-fast-path.js';
import type { HlsOrigin } from '../hls/hls-origin.js';
import { hlsOriginRoutes } from '../hls/hls-origin-routes.js';
import type { HlsStatusStore } from '../hls/hls-status.js';
import type { IngestService } from '../ingest/ingest-service.js';
import type { Restreams } from '../program/restreams.js';
import type { Thumbnails } from '../program/thumbnails.js';
import { authenticate } from './authenticate.js';
import { RateLimiter } from './rate-limiter.js';
import { API_PREFIX } from './route.js';
import { healthRoutes, type HealthDeps } from './health-routes.js';
import { observeHttp, rememberMount } from './http-metrics.js';
import { metricsRoute } from './metrics-route.js';
import { jsonBody } from './json-body.js';
import { createRegistry, openApiDocument } from './openapi.js';
import { notFoundHandler, problemHandler } from './problem-handler.js';
import { attendanceRoutes } from './routes/attendance.js';
import { jwksRoutes } from './routes/jwks.js';
import { keyRoutes } from './routes/keys.js';
import { participantRoutes } from './routes/participants.js';
import { playbackTokenRoutes } from './routes/playback-tokens.js';
import { questionRoutes } from './routes/questions.js';
import { recordingRoutes } from './routes/recordings.js';
import { registrationRoutes } from './routes/registrations.js';
import { roomRoutes } from './routes/rooms.js';
import { tokenRoutes } from './routes/tokens.js';
import { webhookRoutes } from './routes/webhooks.js';
import { ingestRoutes } from './routes/ingests.js';
import { restreamRoutes } from './routes/restreams.js';
import { thumbnailRoutes } from './routes/thumbnails.js';
import { telemetryRoutes } from './routes/telemetry.js';
import { ViewerLatencyWindow } from '../rooms/viewer-latency.js';
import { webrtcSessionRoutes, type WebRtcSessionRoutesDeps } from './routes/webrtc-sessions.js';
import { staticRoutes } from './static-routes.js';

/** The control plane's parts the routes use (the runtime's ControlPlane is one). */
export interface ApiServices {
  redis: Redis;
  keys: ApiKeyStore;
  retirement: KeyRetirement;
  repository: RoomRepository;
  rooms: RoomService;
  revocations: Revocations;
  webhooks: WebhookStore;
  deliveries: DeliveryLog;
  destinations: DestinationGuard;
  attendance: AttendanceLog;
  questions: QuestionStore;
  registrations: RegistrationStore;
  recordings: RecordingStore;
  edKeys: EdSigningKeys;
  minter: TokenMinter;
}

export interface AppDeps extends HealthDeps {
  logger: Logger;
  control: ApiServices;
  publicUrl: string | undefined;
  rateLimit: { perSecond: number; burst: number };
  /** The node list (GET /v1/nodes) and where rooms run (signaling URLs in token responses). */
  cluster: Pick<ClusterNode, 'id' | 'nodes' | 'placement'>;
  /** The LL-HLS origin (the one withHlsFastPath answers most /hls/ requests with) and the rooms' HLS status. */
  hls: { origin: HlsOrigin; status: HlsStatusStore };
  /** RTMP and SRT ingests of rooms (encoders that connect to this node). */
  ingests: IngestService;
  /** Restreams and thumbnails of rooms' on-air program. */
  program: { restreams: Restreams; thumbnails: Thumbnails };
  /** WHIP publishers and WHEP players (authorised by room tokens, not API keys; failures limited with the API keys'). */
  webrtc: Omit<WebRtcSessionRoutesDeps, 'failuresPerAddress' | 'addressOf'>;
  /** Where a request comes from, for the per-address limits (LEVELCHAT_TRUST_PROXY). */
  clientAddress: ClientAddress;
  /** This process' metrics (GET /metrics, and every request's latency) and the token guarding them. */
  metrics: Metrics;
  metricsToken: string | undefined;
}

/** Set on every response (withHlsFastPath sets them too, on the responses it writes itself). */
export const SECURITY_HEADERS = Object.freeze({ 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY' });

/** Express as every LevelChat app runs it: no fingerprinting headers, no ETags, simple query strings, the security headers. */
function baseApp(): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  app.use((_req, res, next) => {
    res.set(SECURITY_HEADERS);
    next();
  });
  return app;
}

/**
 * An app that is only an LL-HLS origin, served as a node serves /hls/ (its fast path in front
 * unless `fastPath` is false): for origin tests and the origin bench.
 */
export function hlsOriginApp(origin: HlsOrigin, fastPath = true): RequestListener {
  const app = baseApp();
  app.use(hlsOriginRoutes(origin));
  app.use(notFoundHandler);
  app.use(problemHandler(() => {}));
  return fastPath ? withHlsFastPath(origin, app, SECURITY_HEADERS) : app;
}

/** The HTTP face of a node. Tests build it around real parts and listen on a random port. */
export function createApp(deps: AppDeps): Express {
  const { control } = deps;
  const app = baseApp();
  app.use(observeHttp(deps.metrics));
  app.use(healthRoutes(deps));
  app.use(metricsRoute({ metrics: deps.metrics, token: deps.metricsToken }));

  const registry = createRegistry();
  const api = Router();
  api.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  api.use(jsonBody);
  // Failed API keys and failed room tokens (WHIP/WHEP) count against one budget per client address.
  const failuresPerAddress = new RateLimiter(deps.rateLimit.perSecond / 10, deps.rateLimit.burst / 10);
  api.use(authenticate(control.keys, { perTree: new RateLimiter(deps.rateLimit.perSecond, deps.rateLimit.burst), failuresPerAddress, addressOf: deps.clientAddress }));
  const viewers = new ViewerLatencyWindow(control.redis);
  api.use(roomRoutes({ rooms: control.rooms, repository: control.repository, hlsStatus: deps.hls.status, viewers }, registry));
  api.use(tokenRoutes({ rooms: control.rooms, minter: control.minter, registrations: control.registrations, publicUrl: deps.publicUrl, cluster: deps.cluster }, registry));
  api.use(playbackTokenRoutes({ rooms: control.rooms, minter: control.minter, publicUrl: deps.publicUrl }, registry));
  api.use(registrationRoutes({ rooms: control.rooms, minter: control.minter, registrations: control.registrations, publicUrl: deps.publicUrl, revocations: control.revocations, redis: control.redis }, registry));
  api.use(participantRoutes({ rooms: control.rooms, revocations: control.revocations, redis: control.redis }, registry));
  api.use(attendanceRoutes({ rooms: control.rooms, attendance: control.attendance }, registry));
  api.use(recordingRoutes({ rooms: control.rooms, recordings: control.recordings, store: deps.store }, registry));
  api.use(questionRoutes({ rooms: control.rooms, questions: control.questions }, registry));
  api.use(keyRoutes({ keys: control.keys, retirement: control.retirement }, registry));
  api.use(webhookRoutes({ webhooks: control.webhooks, deliveries: control.deliveries, destinations: control.destinations }, registry));
  api.use(nodeRoutes(deps.cluster.nodes, registry));
  api.use(ingestRoutes({ rooms: control.rooms, ingests: deps.ingests }, registry));
  api.use(restreamRoutes({ rooms: control.rooms, restreams: deps.program.restreams }, registry));
  api.use(thumbnailRoutes({ rooms: control.rooms, thumbnails: deps.program.thumbnails }, registry));

  // Public, so mounted before the API router and its authentication (WHIP/WHEP take room tokens).
  const jwks = jwksRoutes(control.edKeys, registry);
  const webrtc = webrtcSessionRoutes({ ...deps.webrtc, failuresPerAddress, addressOf: deps.clientAddress }, registry);
  const telemetry = telemetryRoutes({ minter: control.minter, repository: control.repository, keys: control.keys, revocations: control.revocations, metrics: deps.metrics, window: viewers }, registry);
  const document = openApiDocument(registry);
  app.get(`${API_PREFIX}/openapi.json`, (_req, res) => {
    res.json(document);
  });
  app.use(API_PREFIX, rememberMount, jwks);
  app.use(API_PREFIX, rememberMount, webrtc);
  app.use(API_PREFIX, rememberMount, telemetry);
  app.use(API_PREFIX, rememberMount, api);
  app.use(hlsOriginRoutes(deps.hls.origin));
  app.use(staticRoutes());
  app.use(notFoundHandler);
  app.use(
    problemHandler((err, status) => {
      if (status >= 500) deps.logger.error({ err }, 'request failed');
    }),
  );
  return app;
}
