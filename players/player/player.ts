// The LL-HLS player: hls.js in low-latency mode, held near the live edge, recovering from network
// and media errors, and following the stream when the on-air publisher changes (the server ends the
// old rendition's playlist and lists a new one behind the same master URL).
import Hls, { type ErrorData, type HlsConfig } from 'hls.js';
import { Emitter } from '../shared/emitter.js';
import { TelemetryReporter, telemetryUrl, type TelemetryOptions } from '../shared/telemetry.js';
import { BackBufferTrim } from './back-buffer-trim.js';
import { LiveCatchUp } from './live-catch-up.js';

export interface PlayerOptions {
  /** The master playlist, e.g. `https://node/hls/{room}/master.m3u8` (relative URLs resolve against the page). */
  url: string;
  /** Sent as `Authorization: Bearer …` on every playlist and media request (not needed by LevelChat's origin). */
  token?: string;
  /**
   * Seconds behind the live edge to aim for (hls.js `liveSyncDuration`). Default: the playlist's
   * PART-HOLD-BACK (three part targets, 0.66 s with LevelChat's default cadence).
   */
  liveSyncDuration?: number;
  /**
   * Further behind than this, jump back to the live edge. Default 4. hls.js takes it only with a
   * liveSyncDuration: without one the player only catches up by playing faster.
   */
  liveMaxLatencyDuration?: number;
  /**
   * Catch up by playing up to this fast when behind (with more than 1.5 part targets buffered ahead;
   * see live-catch-up.ts: hls.js's own catch-up, which wants 1 s ahead, is off). Default 1.5.
   */
  maxLiveSyncPlaybackRate?: number;
  /** How long to wait for a new rendition after a playlist ends before calling the stream over (ms). Default 30 000. */
  endedGraceMs?: number;
  /** Anything else for hls.js (wins over the above). */
  hlsConfig?: Partial<HlsConfig>;
  /**
   * Every 5 s while playing, report `latency()` and the stalls to the node (`POST /v1/rooms/{id}/telemetry`)
   * with `token`: a playback or room token of the room. Default: `options.token`, else the `?token=` of
   * `url` (signed playback); a public stream played without any token is not reported. `false`: never.
   */
  telemetry?: false | { token?: string | (() => string | null); onReport?: TelemetryOptions['onReport'] };
}

export type PlayerState = 'loading' | 'playing' | 'switching' | 'retrying' | 'ended' | 'destroyed';

export interface PlayerEventMap {
  /** The player's state changed. */
  state: [state: PlayerState];
  /** A new rendition went on air behind the master and the player switched to it. */
  rendition: [info: { master: string }];
  /** A fatal error; the player recovers by itself (`recovering: true`) unless destroyed. */
  error: [error: { type: string; details: string; recovering: boolean }];
}

export interface Player {
  /** Glass-to-glass latency in seconds: `Date.now() - hls.playingDate` (needs EXT-X-PROGRAM-DATE-TIME); null before playback. */
  latency(): number | null;
  /** Distance to the live edge as hls.js sees it (s), or null. */
  edgeLatency(): number | null;
  readonly state: PlayerState;
  /** How often the player rebuilt itself: after errors, and on rendition switches; `rebuffers`: stalls while playing. */
  readonly stats: { rebuilds: number; renditionSwitches: number; mediaRecoveries: number; rebuffers: number };
  on: Emitter<PlayerEventMap>['on'];
  off: Emitter<PlayerEventMap>['off'];
  destroy(): void;
}

const MAX_BACKOFF_MS = 3000;

/** Plays a LevelChat LL-HLS stream in `video`. */
export function createPlayer(video: HTMLVideoElement, options: PlayerOptions): Player {
  return new LlHlsPlayer(video, options);
}

class LlHlsPlayer implements Player {
  private readonly events = new Emitter<PlayerEventMap>();
  private readonly url: string;
  private hls: Hls | null = null;
  private catchUp: LiveCatchUp | null = null;
  private current: PlayerState = 'loading';
  private master: string | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private lastMediaError = 0;
  private endedSince = 0;
  readonly stats = { rebuilds: 0, renditionSwitches: 0, mediaRecoveries: 0, rebuffers: 0 };
  private readonly telemetry: TelemetryReporter | null;
  private playedOnce = false;
  readonly on: Player['on'] = (event, listener) => this.events.on(event, listener);
  readonly off: Player['off'] = (event, listener) => this.events.off(event, listener);

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly options: PlayerOptions,
  ) {
    this.url = new URL(options.url, location.href).toString();
    this.telemetry = this.startTelemetry();
    video.addEventListener('waiting', this.onWaiting);
    video.addEventListener('timeupdate', this.onTimeupdate);
    if (!Hls.isSupported() && video.canPlayType('application/vnd.apple.mpegurl')) {
      // Safari plays LL-HLS natively.
      video.src = this.url;
      void video.play().catch(() => {});
      video.addEventListener('playing', () => this.setState('playing'));
      return;
    }
    this.start();
  }

  get state(): PlayerState {
    return this.current;
  }

  latency(): number | null {
    const date = this.hls ? this.hls.playingDate : nativePlayingDate(this.video);
    return date ? (Date.now() - date.getTime()) / 1000 : null;
  }

  edgeLatency(): number | null {
    const latency = this.hls?.latency;
    return typeof latency === 'number' && Number.isFinite(latency) && latency > 0 ? latency : null;
  }

  destroy(): void {
    if (this.current === 'destroyed') return;
    this.clearTimer();
    this.telemetry?.stop();
    this.video.removeEventListener('waiting', this.onWaiting);
    this.video.removeEventListener('timeupdate', this.onTimeupdate);
    this.dropHls();
    this.video.removeEventListener('playing', this.onPlaying);
    this.setState('destroyed');
    this.events.removeAllListeners();
    if (!this.video.srcObject) {
      this.video.removeAttribute('src');
      this.video.load();
    }
  }

  private start(): void {
    this.dropHls();
    const o = this.options;
    const token = o.token;
    const hls = new Hls({
      lowLatencyMode: true,
      // hls.js follows PART-HOLD-BACK unless given a liveSyncDuration, and takes a maximum latency
      // only together with one.
      ...(o.liveSyncDuration !== undefined ? { liveSyncDuration: o.liveSyncDuration, liveMaxLatencyDuration: o.liveMaxLatencyDuration ?? 4 } : {}),
      // After each stall hls.js aims further behind for good (1 s by default): LiveCatchUp keeps that
      // allowance instead, a step per stall that it takes back after stall-free play.
      liveSyncOnStallIncrease: 0,
      // Live only: a short buffer ahead keeps us near the edge. The back buffer is BackBufferTrim's:
      // hls.js's own trims (every target duration) can race a part's append and stall playback.
      backBufferLength: Infinity,
      maxBufferLength: 4,
      ...(token ? { xhrSetup: (xhr: XMLHttpRequest) => xhr.setRequestHeader('Authorization', `Bearer ${token}`) } : {}),
      ...o.hlsConfig,
      // LiveCatchUp plays faster instead (hls.js's wants 1 s buffered ahead: never there at PART-HOLD-BACK).
      maxLiveSyncPlaybackRate: 1,
    });
    this.hls = hls;
    this.catchUp = new LiveCatchUp(hls, this.video, { maxRate: o.hlsConfig?.maxLiveSyncPlaybackRate ?? o.maxLiveSyncPlaybackRate ?? 1.5 });
    const backBuffer = new BackBufferTrim(this.video, (end) => hls.trigger(Hls.Events.BUFFER_FLUSHING, { startOffset: 0, endOffset: end, type: null }));
    hls.on(Hls.Events.MANIFEST_LOADED, (_e, data) => {
      if (hls !== this.hls) return;
      // The master text tells renditions apart (each has its own media playlist URI).
      this.master = data.levels.map((l) => l.url).join('\n');
    });
    hls.on(Hls.Events.LEVEL_UPDATED, (_e, { details }) => {
      if (hls !== this.hls) return;
      if (!details.live) this.onPlaylistEnded();
    });
    hls.on(Hls.Events.FRAG_BUFFERED, () => {
      if (hls !== this.hls) return;
      this.failures = 0;
      backBuffer.appended();
    });
    hls.on(Hls.Events.ERROR, (_e, data) => {
      if (hls === this.hls) this.onError(data);
    });
    hls.attachMedia(this.video);
    hls.loadSource(this.url);
    void this.video.play().catch(() => {});
    this.video.addEventListener('playing', this.onPlaying);
  }

  private readonly onPlaying = (): void => {
    this.playedOnce = true;
    this.setState('playing');
  };

  private readonly onTimeupdate = (): void => this.catchUp?.update();

  /** Stops hls.js and the catch-up (back to normal speed). */
  private dropHls(): void {
    this.catchUp?.stop();
    this.catchUp = null;
    this.hls?.destroy();
    this.hls = null;
  }

  /** The video ran out of data after it had played: a stall (the start and seeks are not). */
  private readonly onWaiting = (): void => {
    if (!this.playedOnce || this.video.seeking || this.current !== 'playing') return;
    this.stats.rebuffers += 1;
    this.catchUp?.stalled();
  };

  /** Reports while playing, when there is a token to report with (see PlayerOptions.telemetry). */
  private startTelemetry(): TelemetryReporter | null {
    const option = this.options.telemetry;
    if (option === false) return null;
    const url = new URL(this.url);
    const roomId = /\/hls\/([^/]+)\//.exec(url.pathname)?.[1];
    if (!roomId) return null;
    const fixed = typeof option?.token === 'string' ? option.token : (this.options.token ?? url.searchParams.get('token'));
    const token = typeof option?.token === 'function' ? option.token : () => fixed;
    return new TelemetryReporter({
      url: telemetryUrl(this.url, decodeURIComponent(roomId)),
      token,
      delivery: 'llhls',
      sample: () => (this.current === 'playing' && !this.video.paused ? { latencyS: this.latency(), rebuffers: this.stats.rebuffers } : null),
      ...(option?.onReport ? { onReport: option.onReport } : {}),
    });
  }

  private onError(data: ErrorData): void {
    if (!data.fatal) return;
    const now = Date.now();
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR && now - this.lastMediaError > 3000) {
      // First a cheap recovery (new MediaSource, same playlists); twice in a row → rebuild.
      this.lastMediaError = now;
      this.stats.mediaRecoveries += 1;
      this.events.emit('error', { type: data.type, details: data.details, recovering: true });
      this.hls?.recoverMediaError();
      return;
    }
    // Network errors (master/playlist/part unavailable: not on air yet, or between renditions) and
    // anything else: start over from the master after a backoff.
    this.events.emit('error', { type: data.type, details: data.details, recovering: true });
    this.rebuildLater();
  }

  private rebuildLater(): void {
    this.setState('retrying');
    this.failures += 1;
    const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(this.failures, 4));
    this.dropHls();
    this.schedule(() => {
      this.stats.rebuilds += 1;
      this.start();
    }, delay);
  }

  /**
   * The media playlist carries EXT-X-ENDLIST: either the stream is over or another publisher went on
   * air as a new rendition. Poll the master until it names a different rendition, then switch.
   */
  private onPlaylistEnded(): void {
    if (this.timer || this.current === 'destroyed') return;
    this.endedSince ||= Date.now();
    const poll = async () => {
      this.timer = null;
      if (this.current === 'destroyed') return;
      const text = await this.fetchMaster();
      const renditions = text ? mediaPlaylists(text, this.url) : null;
      if (renditions && this.master !== null && renditions !== this.master) {
        this.endedSince = 0;
        this.stats.renditionSwitches += 1;
        this.stats.rebuilds += 1;
        this.setState('switching');
        this.events.emit('rendition', { master: text! });
        this.start();
        return;
      }
      if (Date.now() - this.endedSince > (this.options.endedGraceMs ?? 30_000)) {
        this.endedSince = 0;
        this.setState('ended');
        return;
      }
      this.schedule(() => void poll(), 500);
    };
    this.schedule(() => void poll(), 300);
  }

  private async fetchMaster(): Promise<string | null> {
    try {
      const headers: Record<string, string> = this.options.token ? { Authorization: `Bearer ${this.options.token}` } : {};
      const res = await fetch(this.url, { cache: 'no-store', headers });
      return res.ok ? await res.text() : null;
    } catch {
      return null;
    }
  }

  private schedule(fn: () => void, ms: number): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      fn();
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private setState(state: PlayerState): void {
    if (this.current === state || this.current === 'destroyed') return;
    this.current = state;
    this.events.emit('state', state);
  }
}

/** The media playlist URLs a master lists, in the form hls.js reports them (absolute, one per line). */
function mediaPlaylists(master: string, base: string): string {
  return master
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((uri) => new URL(uri, base).toString())
    .join('\n');
}

/** Safari's native HLS: the media timeline's start date plus the current time. */
function nativePlayingDate(video: HTMLVideoElement): Date | null {
  const start = (video as HTMLVideoElement & { getStartDate?: () => Date }).getStartDate?.();
  const t = start?.getTime();
  return t !== undefined && Number.isFinite(t) ? new Date(t + video.currentTime * 1000) : null;
}
