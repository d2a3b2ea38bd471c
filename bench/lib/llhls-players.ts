// Third-party LL-HLS players in Chromium, as a viewer's page would use them: hls.js (its own build,
// lowLatencyMode, defaults) and Shaka Player (its compiled build, streaming.lowLatencyMode with its
// live sync on), each alone in a blank page with a muted <video>, every error it reports recorded. The e2e test and the latency
// bench share them. The page code is a string: this layer compiles without the DOM types.
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { projectRoot } from '../../common/compiled-entry.js';

export type PlayerKind = 'hls.js' | 'shaka';

export const PLAYER_KINDS: readonly PlayerKind[] = ['hls.js', 'shaka'];

/** What a player reported as an error: an error event (fatal or not), a console error or an uncaught exception. */
export interface PlayerError {
  source: 'player' | 'console' | 'page';
  fatal: boolean;
  detail: string;
  /** Whether the <video> had begun playing (its first 'playing' event) when the player reported it (player errors only). */
  started?: boolean;
}

export interface PlayerSample {
  /** Frames presented and dropped by the <video> so far. */
  frames: number;
  dropped: number;
  /** Glass to glass, s: now − the wall clock (PROGRAM-DATE-TIME) of the frame on screen; null before playback. */
  latency: number | null;
  currentTime: number;
  /** Seconds buffered ahead of the playhead. */
  buffered: number;
  paused: boolean;
  ended: boolean;
}

export interface PlayerPage {
  kind: PlayerKind;
  page: Page;
  sample(): Promise<PlayerSample>;
  /** Every error so far (the page's console errors and uncaught exceptions included). */
  errors(): Promise<PlayerError[]>;
  /** Where the player may seek, in <video> time (a live playlist's window), once it knows. */
  seekRange(): Promise<{ start: number; end: number } | null>;
  /** Moves the playhead to `time` (<video> time), as a viewer dragging the seek bar does. */
  seek(time: number): Promise<void>;
  close(): Promise<void>;
}

const SCRIPTS: Record<PlayerKind, string> = {
  'hls.js': 'node_modules/hls.js/dist/hls.min.js',
  shaka: 'node_modules/shaka-player/dist/shaka-player.compiled.js',
};

/**
 * hls.js skipping a hole before the <video> began playing (non-fatal), no fault of the stream: its stall
 * check can run before its own start seek (from 0 to its start position), and a start position inside
 * a segment cut without a keyframe makes it load the segment's first independent part, which begins a
 * little after it (hls.js's getNextPart). The viewer sees playback start a fraction of a second later.
 */
export const isStartSeekQuirk = (e: PlayerError): boolean =>
  !e.fatal && e.started === false && /bufferSeekOverHole fragment loaded with buffer holes, seeking from/.test(e.detail);

/**
 * hls.js cancelling a request of its own (ErrorDetails.INTERNAL_ABORTED, "an internal call to abort a
 * loader"), reported as a non-fatal network error: a seek does it to the loads for the position it
 * leaves. Nothing the origin answered.
 */
export const isOwnAbort = (e: PlayerError): boolean => !e.fatal && e.detail === 'networkError aborted';

/** Starts `window.llhls`: the player on `url`, a latency probe and the error log. */
const START: Record<PlayerKind, (url: string) => string> = {
  'hls.js': (url) => `(() => {
    const errors = [];
    const video = Object.assign(document.createElement('video'), { muted: true, autoplay: true, playsInline: true });
    document.body.append(video);
    let started = false;
    video.addEventListener('playing', () => { started = true; }, { once: true });
    const hls = new Hls({ lowLatencyMode: true });
    hls.on(Hls.Events.ERROR, (_e, d) => errors.push({ source: 'player', fatal: !!d.fatal, detail: [d.type, d.details, d.response && d.response.code, d.frag && d.frag.url, d.reason].filter(Boolean).join(' '), started }));
    hls.attachMedia(video);
    hls.loadSource(${JSON.stringify(url)});
    video.play().catch(() => {});
    // The playlist's window in media time (video.seekable also spans whatever is still buffered).
    const seekRange = () => {
      const details = hls.latestLevelDetails;
      return details ? { start: details.fragmentStart, end: details.edge } : null;
    };
    window.llhls = { video, errors, playingDate: () => hls.playingDate, seekRange };
  })()`,
  shaka: (url) => `(async () => {
    const errors = [];
    const video = Object.assign(document.createElement('video'), { muted: true, autoplay: true, playsInline: true });
    document.body.append(video);
    let started = false;
    video.addEventListener('playing', () => { started = true; }, { once: true });
    shaka.polyfill.installAll();
    const player = new shaka.Player();
    player.addEventListener('error', (e) => errors.push({ source: 'player', fatal: e.detail.severity === shaka.util.Error.Severity.CRITICAL, detail: 'shaka ' + e.detail.code + ' ' + JSON.stringify(e.detail.data).slice(0, 300), started }));
    window.llhls = { video, errors, playingDate: () => player.getPlayheadTimeAsDate(), seekRange: () => player.seekRange() };
    await player.attach(video);
    // Shaka's low-latency mode does not catch up after a stall by itself: its live sync plays up to
    // 1.25× while more than 0.25 s behind its playable edge (the live edge less PART-HOLD-BACK).
    player.configure({ streaming: { lowLatencyMode: true, liveSync: { enabled: true, targetLatency: 0, targetLatencyTolerance: 0.25, maxPlaybackRate: 1.25 } } });
    try {
      await player.load(${JSON.stringify(url)});
    } catch (e) {
      errors.push({ source: 'player', fatal: true, detail: 'shaka load ' + (e && (e.code || e.message)) });
    }
    video.play().catch(() => {});
  })()`,
};

const SAMPLE = `(() => {
  const { video, playingDate } = window.llhls;
  const q = video.getVideoPlaybackQuality();
  const date = playingDate();
  const t = date ? date.getTime() : NaN;
  let buffered = 0;
  for (let i = 0; i < video.buffered.length; i++) if (video.buffered.end(i) > video.currentTime && video.buffered.start(i) <= video.currentTime + 0.1) buffered = video.buffered.end(i) - video.currentTime;
  return { frames: q.totalVideoFrames, dropped: q.droppedVideoFrames, latency: Number.isFinite(t) ? (Date.now() - t) / 1000 : null, currentTime: video.currentTime, buffered, paused: video.paused, ended: video.ended };
})()`;

/**
 * A fresh context and a blank page playing `url` (absolute) with `kind`. The page is served (by the
 * browser itself) at the stream's own origin: Chromium lets no opaque page (about:blank) reach a
 * loopback server, and the origin's own pages carry a CSP that forbids injected scripts.
 */
export async function openPlayer(browser: Browser, kind: PlayerKind, url: string): Promise<PlayerPage> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const blank = new URL('/llhls-player.html', url).toString();
  await page.route(blank, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>LL-HLS player</title>' }));
  const pageErrors: PlayerError[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push({ source: 'console', fatal: false, detail: message.text().slice(0, 300) });
  });
  page.on('pageerror', (err) => pageErrors.push({ source: 'page', fatal: true, detail: err.message.slice(0, 300) }));
  await page.goto(blank);
  await page.addScriptTag({ path: path.join(projectRoot(), SCRIPTS[kind]) });
  await page.evaluate(START[kind](url));
  return {
    kind,
    page,
    sample: () => page.evaluate(SAMPLE) as Promise<PlayerSample>,
    errors: async () => [...pageErrors, ...((await page.evaluate('window.llhls.errors')) as PlayerError[])],
    seekRange: () => page.evaluate('window.llhls.seekRange()') as Promise<{ start: number; end: number } | null>,
    seek: (time) => page.evaluate(`window.llhls.video.currentTime = ${JSON.stringify(time)}`).then(() => undefined),
    close: () => context.close(),
  };
}
