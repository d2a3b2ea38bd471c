import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { ClientAddress } from '../../../common/client-address.js';
import { ProblemError } from '../../../common/problem.js';
import type { IceServer } from '../../config.js';
import { toSignalingError, SignalingError } from '../../signaling/signaling-errors.js';
import type { SessionKind } from '../../signaling/webrtc-http/http-session.js';
import type { HttpSessions } from '../../signaling/webrtc-http/http-sessions.js';
import { API_PREFIX } from '../route.js';
import { limitFailedAuthentication, type RateLimiter } from '../rate-limiter.js';
import { problemSchema, roomIdParams } from '../schemas.js';
import { sdpBody } from '../sdp-body.js';
import { validate } from '../validate.js';
import { webrtcProblem } from '../webrtc-problems.js';

export interface WebRtcSessionRoutesDeps {
  sessions: Pick<HttpSessions, 'publish' | 'play' | 'end' | 'patch'>;
  /** STUN/TURN servers announced in `Link: <...>; rel="ice-server"` headers (RFC 9725 §4.6), TURN credentials made for `user` (the session). */
  iceServers: (user: string) => readonly IceServer[];
  /** Refused room tokens (401) per client address (the budget failed API keys spend too): past it, 429. */
  failuresPerAddress: RateLimiter;
  addressOf: ClientAddress;
}

/** How long a player refused for want of WebRTC seats should wait before trying again. */
const FULL_RETRY_AFTER_S = 30;

/** CORS for browser WHIP/WHEP clients: tokens travel in Authorization, never cookies, so any origin may call. */
const CORS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Location, ETag, Link, Accept-Patch, Accept-Post, Retry-After',
};

const sessionParams = roomIdParams.extend({ session: z.string().regex(/^[A-Za-z0-9_-]{16}$/, 'a session id') });

/**
 * WHIP (RFC 9725) and WHEP endpoints of a room: `POST /v1/rooms/{id}/whip|whep` with an SDP offer
 * and a room token, the session resource at `Location` (DELETE, PATCH), CORS preflights. Mounted
 * before the API-key authentication: a room token authorises these requests.
 */
export function webrtcSessionRoutes(deps: WebRtcSessionRoutesDeps, registry: OpenAPIRegistry): Router {
  registry.registerComponent('securitySchemes', 'roomToken', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A room token (POST /v1/rooms/{id}/tokens): `Authorization: Bearer <token>`.',
  });
  const router = Router();
  router.use((_req, res, next) => {
    res.set({ ...CORS, 'Cache-Control': 'no-store' });
    next();
  });
  for (const kind of ['whip', 'whep'] as const) {
    const base = `/rooms/:id/${kind}`;
    router.options(base, preflight('POST, OPTIONS', { 'Accept-Post': 'application/sdp' }));
    router.options(`${base}/:session`, preflight('PATCH, DELETE, OPTIONS', { 'Accept-Patch': 'application/trickle-ice-sdpfrag' }));
    router.post(base, sdpBody('application/sdp', 'Accept-Post'), handle(deps, kind, (req, res) => start(deps, kind, req, res)));
    router.delete(`${base}/:session`, handle(deps, kind, async (req, res) => {
      const { session } = validate(sessionParams, req.params, 'path');
      await deps.sessions.end(kind, session, bearer(req));
      res.status(200).end();
    }));
    router.patch(`${base}/:session`, sdpBody('application/trickle-ice-sdpfrag', 'Accept-Patch'), handle(deps, kind, async (req, res) => {
      const { session } = validate(sessionParams, req.params, 'path');
      const result = await deps.sessions.patch(kind, session, bearer(req), req.get('if-match'), req.body as string);
      if (result.kind === 'trickle') res.status(204).end();
      else res.status(200).set('ETag', result.etag).type('application/trickle-ice-sdpfrag').send(result.fragment);
    }));
    document(registry, kind);
  }
  return router;
}

async function start(deps: WebRtcSessionRoutesDeps, kind: SessionKind, req: Request, res: Response): Promise<void> {
  const { id } = validate(roomIdParams, req.params, 'path');
  const token = bearer(req);
  const started = await (kind === 'whip' ? deps.sessions.publish(id, token, req.body as string) : deps.sessions.play(id, token, req.body as string));
  const links = deps.iceServers(`${kind}-${started.id}`).map(iceServerLink);
  res
    .status(201)
    .set({ Location: `${API_PREFIX}/rooms/${id}/${kind}/${started.id}`, ETag: started.etag, 'Accept-Patch': 'application/trickle-ice-sdpfrag' })
    .set(links.length ? { Link: links.join(', ') } : {})
    .type('application/sdp')
    .send(started.answer);
}

/**
 * Runs a handler; refusals become problems, a `wrong_node` a 307 to the node that takes the request,
 * and a bad token from an address past its failure budget a 429.
 */
function handle(deps: WebRtcSessionRoutesDeps, kind: SessionKind, fn: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      await fn(req, res);
    } catch (err) {
      const refusal = toSignalingError(err);
      if (refusal?.code === 'wrong_node' && typeof refusal.details['signaling_url'] === 'string') {
        // WHIP clients follow 307 (RFC 9725 §4.5): the same POST at the other node.
        res.redirect(307, `${httpBaseOf(refusal.details['signaling_url'])}${API_PREFIX}/rooms/${String(req.params['id'])}/${kind}`);
        return;
      }
      const problem = err instanceof ProblemError ? err : webrtcProblem(refusal ?? err, refusal?.code === 'webrtc_full' ? fullHeaders(refusal) : {});
      next(problem ? limitFailedAuthentication(deps.failuresPerAddress, deps.addressOf(req), problem) : err);
    }
  };
}

/** `webrtc_full`: come back later, or watch the LL-HLS stream meanwhile. */
function fullHeaders(refusal: SignalingError): Record<string, string> {
  const hls = refusal.details['hls_url'];
  const token = refusal.details['playback_token'];
  const url = typeof hls === 'string' ? `${hls}${typeof token === 'string' ? `?token=${token}` : ''}` : null;
  return { 'Retry-After': String(FULL_RETRY_AFTER_S), ...(url ? { Link: `<${url}>; rel="alternate"; type="application/vnd.apple.mpegurl"` } : {}) };
}

function preflight(methods: string, extra: Record<string, string>): RequestHandler {
  return (_req, res) => {
    res
      .status(204)
      .set({ ...extra, Allow: methods, 'Access-Control-Allow-Methods': methods, 'Access-Control-Allow-Headers': 'Authorization, Content-Type, If-Match', 'Access-Control-Max-Age': '86400' })
      .end();
  };
}

function bearer(req: Request): string {
  const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  if (!m) throw new ProblemError('token_required', 'send Authorization: Bearer <room token>', { headers: { 'WWW-Authenticate': 'Bearer' } });
  return m[1]!;
}

/** The HTTP base of a node from its signaling URL (protocol.ts signalingUrlOf, undone). */
function httpBaseOf(signalingUrl: string): string {
  return signalingUrl.replace(/^ws/, 'http').replace(/\/v1\/rtc$/, '');
}

function iceServerLink(server: IceServer): string {
  const credentials = server.username && server.credential ? `; username="${server.username}"; credential="${server.credential}"; credential-type="password"` : '';
  return `<${server.url}>; rel="ice-server"${credentials}`;
}

const sdp = (description: string) => ({ description, content: { 'application/sdp': { schema: z.string() } } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: problemSchema } } });

/** OpenAPI: the bodies are SDP, not JSON, so the paths are registered here rather than through defineRoute. */
function document(registry: OpenAPIRegistry, kind: SessionKind): void {
  const whip = kind === 'whip';
  const tag = whip ? 'WHIP ingest' : 'WHEP playback';
  const security = [{ roomToken: [] }];
  const refusals = {
    400: problem('Malformed SDP offer (sdp_malformed) or room id'),
    401: problem('Missing, invalid, expired or revoked room token (token_required, token_invalid, token_expired, token_revoked...)'),
    403: problem(`The token lacks ${whip ? 'publish:camera or publish:audio' : 'subscribe:all'} (capability_required), or is for another room (token_room_mismatch)`),
    404: problem('The room belongs to another key (room_not_found)'),
    429: problem('Too many failed token checks from this address (rate_limited): `Retry-After`'),
  };
  registry.registerPath({
    method: 'post',
    path: `${API_PREFIX}/rooms/{id}/${kind}`,
    tags: [tag],
    summary: whip ? 'Publish with a WebRTC encoder (WHIP, RFC 9725)' : 'Watch the on-air program over WebRTC (WHEP)',
    description: whip
      ? 'The body is the encoder\'s SDP offer (H.264, VP8, VP9 and Opus; simulcast by RID or SSRC group). The token\'s identity joins the room as a participant ' +
        'and publishes a camera and microphone (`publish:audio` alone: audio only). The room is created with the meeting defaults when it does not exist. ' +
        'A node that does not hold the room\'s origin answers 307 to the one that does.'
      : 'The body is the player\'s recvonly SDP offer. The session receives the on-air program (the video and audio LL-HLS shows) and follows on-air ' +
        'switches without renegotiation; it counts as an audience member. Beyond `LEVELCHAT_WEBRTC_VIEWER_CAP` players per node: 307 to a node with seats, else 503 with `Retry-After` and a `Link` to the LL-HLS playlist.',
    security,
    request: { params: roomIdParams, body: { required: true, content: { 'application/sdp': { schema: z.string().meta({ description: 'SDP offer' }) } } } },
    responses: {
      201: {
        ...sdp('The SDP answer; `Location` is the session, `ETag` its ICE state, `Link` the ICE servers (rel="ice-server")'),
        headers: { Location: { schema: { type: 'string' } }, ETag: { schema: { type: 'string' } }, Link: { schema: { type: 'string' } } },
      },
      307: { description: 'The request belongs to another node (the room\'s origin, or one with WebRTC seats): repeat it at `Location`' },
      ...refusals,
      409: problem(`Room archived or ended (room_archived, room_ended), full (room_full${whip ? ', publishers_full), or the identity publishes already where the room type allows one session per identity (identity_in_use)' : ')'}`),
      413: problem('The offer is larger than 64 KB (body_too_large)'),
      415: problem('The body is not application/sdp (unsupported_media_type)'),
      422: problem('An offer we cannot accept, with the reason (sdp_unsupported): no codec in common, no BUNDLE, no DTLS fingerprint...'),
      ...(whip ? {} : { 503: problem('Every node\'s WebRTC seats are taken (webrtc_full): `Retry-After`, and `Link` to the LL-HLS playlist') }),
    },
  });
  const session = { params: sessionParams };
  registry.registerPath({
    method: 'delete',
    path: `${API_PREFIX}/rooms/{id}/${kind}/{session}`,
    tags: [tag],
    summary: `End a ${kind.toUpperCase()} session`,
    description: 'With the token the session started with (same room and identity). The participant leaves the room.',
    security,
    request: session,
    responses: { 200: { description: 'Ended' }, ...refusals, 404: problem('No such session on this node: ended, kicked or never made (session_not_found)') },
  });
  registry.registerPath({
    method: 'patch',
    path: `${API_PREFIX}/rooms/{id}/${kind}/{session}`,
    tags: [tag],
    summary: 'Trickle ICE candidates, or restart ICE (RFC 9725 §4.3)',
    description:
      'The server is ICE-lite: trickled candidates need no answer (204). New ICE credentials restart ICE (`If-Match: *`): the answer holds ours, under a new `ETag`. ' +
      'Otherwise `If-Match` must be the session\'s `ETag` (412 etag_mismatch).',
    security,
    request: { ...session, body: { required: true, content: { 'application/trickle-ice-sdpfrag': { schema: z.string() } } } },
    responses: {
      200: { description: 'ICE restarted: our ICE credentials and candidates', content: { 'application/trickle-ice-sdpfrag': { schema: z.string() } } },
      204: { description: 'Candidates taken' },
      ...refusals,
      404: problem('No such session on this node (session_not_found)'),
      412: problem('If-Match is not the session\'s entity tag (etag_mismatch)'),
      415: problem('The body is not application/trickle-ice-sdpfrag (unsupported_media_type)'),
    },
  });
}
