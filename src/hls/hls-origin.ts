import type { ServerResponse } from 'node:http';
import { classifyBlockingReload, classifyPartRequest, type BlockingReloadView } from '../../pipeline/llhls/blocking-reload.js';
import { hlsKey } from '../../pipeline/publish/hls-objects.js';
import type { MediaCache } from '../../pipeline/publish/media-cache.js';
import { reloadView, type RenditionState } from '../../pipeline/publish/playlist-state.js';
import type { SpooledObjectSource } from '../../pipeline/publish/upload-spool.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { ProblemError } from '../../common/problem.js';
import { withToken, type PlaybackGate } from './hls-access.js';
import { parseDeliveryDirectives, type HlsFile, type HlsRoute } from './hls-request.js';
import { OriginMediaSource } from './origin-media-source.js';
import {
  mediaResponse,
  playlistResponse,
  PRIVATE_MEDIA_CACHE_CONTROL,
  PRIVATE_PLAYLIST_CACHE_CONTROL,
  publicMasterResponse,
  publicMediaResponse,
  publicPlaylistResponse,
  type OriginResponse,
} from './origin-responses.js';
import type { PlaylistStateHub } from './playlist-state-hub.js';

export interface HlsOriginOptions {
  /** Playlist state from Redis (PlaylistStateHub.connect(redis)). */
  hub: PlaylistStateHub;
  /** Where the pipelines stored init/parts/segments. */
  store: ObjectStore;
  /** The same cache the BroadcastPipelines of this process fill; objects read from storage are kept in it too. */
  cache: MediaCache;
  /** Playback tokens for rooms that admit registered viewers only. */
  access: PlaybackGate;
  /** This process' upload spool: objects a live playlist names while object storage is unreachable. */
  spool?: SpooledObjectSource;
}

/** RFC 8216bis 6.2.5.2: a blocking request is held at most three target durations. */
const HOLD_TARGET_DURATIONS = 3;


/** One view per state: every held request checks each new state. */
const views = new WeakMap<RenditionState, BlockingReloadView>();
function viewOf(state: RenditionState): BlockingReloadView {
  let view = views.get(state);
  if (!view) views.set(state, (view = reloadView(state)));
  return view;
}

/**
 * The LL-HLS origin: multivariant and media playlists from the Redis playlist state (blocking
 * reload, delta updates), init/parts/segments from this process' cache of the newest ones or from
 * storage, read once per object however many viewers ask at once. Answers are OriginResponses;
 * failures are ProblemErrors (the app renders them as problem+json). Callers validate the route.
 */
export class HlsOrigin {
  private readonly objects: OriginMediaSource;

  constructor(private readonly options: HlsOriginOptions) {
    const { spool, store } = options;
    this.objects = new OriginMediaSource(options.cache, async (key) => (await spool?.read(key)) ?? (await fromStorage(store, key)));
  }

  /**
   * The answer to `route` with its query (`token`, delivery directives), or undefined when `client`
   * went away while the request was held.
   */
  serve(route: HlsRoute, query: Record<string, unknown>, client: ServerResponse): Promise<OriginResponse | undefined> {
    switch (route.kind) {
      case 'master':
        return this.master(route.roomId, query);
      case 'playlist':
        return this.playlist(route.roomId, route.rendition, query, client);
      case 'media':
        return this.media(route.roomId, route.rendition, route.file, query, client);
    }
  }

  private async master(roomId: string, query: Record<string, unknown>): Promise<OriginResponse> {
    const { hub, access } = this.options;
    const { token } = await access.check(roomId, query.token);
    const master = await hub.master(roomId);
    if (!master) throw new ProblemError('stream_not_found', `room ${roomId} is not broadcasting over HLS`);
    return token ? playlistResponse(withToken(master.text, token), PRIVATE_PLAYLIST_CACHE_CONTROL) : publicMasterResponse(master);
  }

  private async playlist(roomId: string, rendition: string, query: Record<string, unknown>, client: ServerResponse): Promise<OriginResponse | undefined> {
    const { hub, access } = this.options;
    const directives = parseDeliveryDirectives(query);
    const { token } = await access.check(roomId, query.token);
    let state = hub.current(roomId, rendition) ?? (await hub.rendition(roomId, rendition));
    if (!state) throw new ProblemError('rendition_not_found', `room ${roomId} has no rendition ${rendition}`);
    const { msn, part } = directives;
    if (msn !== undefined) {
      const verdict = classifyBlockingReload(viewOf(state), msn, part);
      if (verdict === 'too-far') {
        throw new ProblemError('too_far', `segment ${msn}${part === undefined ? '' : ` part ${part}`} is beyond what this stream can publish soon`);
      }
      if (verdict === 'wait') {
        const held = await this.hold(roomId, rendition, state, msn, part, client);
        if (held === 'gone') return undefined;
        if (!held) throw new ProblemError('blocking_timeout', `segment ${msn} is late`, { headers: { 'Retry-After': '1' } });
        state = held;
      }
    }
    if (token) return playlistResponse(withToken(directives.skip ? state.delta : state.full, token), PRIVATE_PLAYLIST_CACHE_CONTROL);
    return publicPlaylistResponse(state, directives.skip, msn !== undefined);
  }

  private async media(roomId: string, rendition: string, file: HlsFile, query: Record<string, unknown>, client: ServerResponse): Promise<OriginResponse | undefined> {
    const { token } = await this.options.access.check(roomId, query.token);
    const key = hlsKey(roomId, rendition, file.name);
    if (!this.objects.cached(key) && file.kind !== 'init' && (await this.holdUntilPublished(roomId, rendition, file, client)) === 'gone') return undefined;
    const bytes = this.objects.cached(key) ?? (await this.objects.get(key));
    if (!bytes) throw new ProblemError('object_not_found', `${rendition}/${file.name} does not exist`);
    return token ? mediaResponse(bytes, PRIVATE_MEDIA_CACHE_CONTROL) : publicMediaResponse(bytes);
  }

  /**
   * A request for the part named by EXT-X-PRELOAD-HINT (or a segment or part just ahead of the live
   * edge) is held until the playlist lists it, as for a blocking playlist reload; anything else is
   * looked up at once.
   */
  private async holdUntilPublished(roomId: string, rendition: string, file: Exclude<HlsFile, { kind: 'init' }>, client: ServerResponse): Promise<'gone' | void> {
    const { hub } = this.options;
    const state = hub.current(roomId, rendition) ?? (await hub.rendition(roomId, rendition));
    if (!state) return;
    if (file.kind === 'part') {
      if (classifyPartRequest(viewOf(state), file.number) !== 'wait') return;
      const listed = (s: RenditionState) => s.ended || file.number < s.nextPart;
      if ((await this.waitFor(roomId, rendition, state, listed, client)) === 'gone') return 'gone';
      return;
    }
    if (classifyBlockingReload(viewOf(state), file.msn) !== 'wait') return;
    if ((await this.hold(roomId, rendition, state, file.msn, undefined, client)) === 'gone') return 'gone';
  }

  /** The first state that lists msn[.part] (or ends the stream); undefined after three target durations, 'gone' if the client went away first. */
  private hold(roomId: string, rendition: string, state: RenditionState, msn: number, part: number | undefined, client: ServerResponse): Promise<RenditionState | undefined | 'gone'> {
    return this.waitFor(roomId, rendition, state, (s) => s.ended || viewOf(s).has(msn, part), client);
  }

  private waitFor(roomId: string, rendition: string, state: RenditionState, ready: (s: RenditionState) => boolean, client: ServerResponse): Promise<RenditionState | undefined | 'gone'> {
    return this.options.hub.waitFor(roomId, rendition, ready, HOLD_TARGET_DURATIONS * state.targetDuration * 1000, client);
  }
}

/** An object from storage; storage being unreachable is a 503 the player retries, not a 500. */
async function fromStorage(store: ObjectStore, key: string): Promise<Buffer | undefined> {
  try {
    return await store.getIfExists(key);
  } catch (err) {
    throw new ProblemError('storage_unavailable', 'storage did not answer: retry', { headers: { 'Retry-After': '1' }, cause: err });
  }
}
