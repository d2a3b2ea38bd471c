import { Router, type Response } from 'express';
import { classifyBlockingReload } from '../../pipeline/llhls/blocking-reload.js';
import { hlsKey, IMMUTABLE_CACHE_CONTROL, MEDIA_CONTENT_TYPE, PLAYLIST_CACHE_CONTROL, PLAYLIST_CONTENT_TYPE } from '../../pipeline/publish/hls-objects.js';
import type { MediaCache } from '../../pipeline/publish/media-cache.js';
import { reloadView, type RenditionState } from '../../pipeline/publish/playlist-state.js';
import type { SpooledObjectSource } from '../../pipeline/publish/upload-spool.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { ProblemError } from '../api/problem.js';
import { parseDeliveryDirectives, parseHlsFile, parseRendition, parseRoomId, type HlsFile } from './hls-request.js';
import { withToken, type PlaybackGate } from './hls-access.js';
import type { PlaylistStateHub } from './playlist-state-hub.js';

export interface HlsOriginOptions {
  /** Playlist state from Redis (PlaylistStateHub.connect(redis)). */
  hub: PlaylistStateHub;
  /** Where the pipeline stored init/parts/segments. */
  store: ObjectStore;
  /** The same cache the BroadcastPipelines of this process fill. */
  cache: MediaCache;
  /** Playback tokens for rooms that admit registered viewers only. */
  access: PlaybackGate;
  /** This process' upload spool: objects a live playlist names while object storage is unreachable. */
  spool?: SpooledObjectSource;
}

/** RFC 8216bis 6.2.5.2: a blocking request is held at most three target durations. */
const HOLD_TARGET_DURATIONS = 3;

const notFound = (code: string, title: string, detail: string) => new ProblemError(404, code, title, detail);

/** Aborts when the client goes away, so its held request stops waiting. */
function clientGone(res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => controller.abort());
  return controller.signal;
}

/**
 * The LL-HLS origin: multivariant and media playlists from the Redis playlist state (blocking
 * reload, delta updates), init/parts/segments from this process' cache of the newest ones or from
 * storage. Every path segment is validated before it reaches a key. Errors are problem+json
 * (the app's problemHandler renders them).
 */
export function hlsOriginRoutes({ hub, store, cache, access, spool }: HlsOriginOptions): Router {
  const router = Router();

  // Public, segment-addressed content: any page may play it (hls.js fetches cross-origin).
  router.use('/hls', (_req, res, next) => {
    res.set('Access-Control-Allow-Origin', '*');
    next();
  });

  router.get('/hls/:roomId/master.m3u8', async (req, res) => {
    const roomId = parseRoomId(req.params.roomId);
    const { token } = await access.check(roomId, req.query.token);
    const master = await hub.master(roomId);
    if (!master) throw notFound('stream_not_found', 'Stream not found', `room ${roomId} is not broadcasting over HLS`);
    res.type(PLAYLIST_CONTENT_TYPE).set('Cache-Control', token ? 'private, no-store' : PLAYLIST_CACHE_CONTROL).send(token ? withToken(master.text, token) : master.text);
  });

  router.get('/hls/:roomId/:rendition/index.m3u8', async (req, res) => {
    const roomId = parseRoomId(req.params.roomId);
    const rendition = parseRendition(req.params.rendition);
    const directives = parseDeliveryDirectives(req.query as Record<string, unknown>);
    const { token } = await access.check(roomId, req.query.token);
    let state = await hub.rendition(roomId, rendition);
    if (!state) throw notFound('rendition_not_found', 'Rendition not found', `room ${roomId} has no rendition ${rendition}`);
    const { msn, part } = directives;
    if (msn !== undefined) {
      const verdict = classifyBlockingReload(reloadView(state), msn, part);
      if (verdict === 'too-far') {
        throw new ProblemError(400, 'too_far', 'Blocking request too far ahead', `segment ${msn}${part === undefined ? '' : ` part ${part}`} is beyond what this stream can publish soon`);
      }
      if (verdict === 'wait') {
        const signal = clientGone(res);
        const ready = (s: RenditionState) => s.ended || reloadView(s).has(msn, part);
        const held = await hub.waitFor(roomId, rendition, ready, HOLD_TARGET_DURATIONS * state.targetDuration * 1000, signal);
        if (signal.aborted) return;
        if (!held) throw new ProblemError(503, 'blocking_timeout', 'Not available yet', `segment ${msn} is late`, { 'Retry-After': '1' });
        state = held;
      }
    }
    const text = directives.skip ? state.delta : state.full;
    res.type(PLAYLIST_CONTENT_TYPE).set('Cache-Control', token ? 'private, no-store' : PLAYLIST_CACHE_CONTROL).send(token ? withToken(text, token) : text);
  });

  router.get('/hls/:roomId/:rendition/:file', async (req, res) => {
    const roomId = parseRoomId(req.params.roomId);
    const rendition = parseRendition(req.params.rendition);
    const file = parseHlsFile(req.params.file);
    const { token } = await access.check(roomId, req.query.token);
    const key = hlsKey(roomId, rendition, file.name);
    if (!cache.get(key) && file.kind !== 'init') await holdUntilPublished(hub, roomId, rendition, file, clientGone(res));
    const bytes = cache.get(key)?.bytes ?? (await spool?.read(key)) ?? (await fromStorage(store, key));
    if (!bytes) throw notFound('object_not_found', 'Not found', `${rendition}/${file.name} does not exist`);
    res.type(MEDIA_CONTENT_TYPE).set('Cache-Control', token ? 'private, max-age=31536000, immutable' : IMMUTABLE_CACHE_CONTROL).send(bytes);
  });

  return router;
}

/** An object from storage; storage being unreachable is a 503 the player retries, not a 500. */
async function fromStorage(store: ObjectStore, key: string): Promise<Buffer | undefined> {
  try {
    return await store.getIfExists(key);
  } catch (err) {
    throw new ProblemError(503, 'storage_unavailable', 'Storage unavailable', (err as Error).message, { 'Retry-After': '1' });
  }
}

/**
 * A request for the part named by EXT-X-PRELOAD-HINT (or one just ahead of the live edge) is held
 * until the playlist lists it, as for a blocking playlist reload; anything else is looked up at once.
 */
async function holdUntilPublished(hub: PlaylistStateHub, roomId: string, rendition: string, file: Exclude<HlsFile, { kind: 'init' }>, signal: AbortSignal): Promise<void> {
  const state = await hub.rendition(roomId, rendition);
  if (!state) return;
  const part = file.kind === 'part' ? file.part : undefined;
  if (classifyBlockingReload(reloadView(state), file.msn, part) !== 'wait') return;
  const ready = (s: RenditionState) => s.ended || reloadView(s).has(file.msn, part);
  await hub.waitFor(roomId, rendition, ready, HOLD_TARGET_DURATIONS * state.targetDuration * 1000, signal);
}
