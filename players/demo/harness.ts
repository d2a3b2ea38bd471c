// A page for automated checks: drives @levelchat/web and records everything it emits, so a test can
// ask from outside (page.evaluate) what happened. Served at /harness.html next to the demo console.
import { createPlayer, type LevelChatPlayerElement, type Player } from '../player/index.js';
import { LevelChat, type LiveSession, type LocalTrackHandle, type SubscribedTrack } from '../web/index.js';
import type { Harness, HlsStats, Outcome, RecordedEvent } from './harness-api.js';

// Record every WebSocket the SDK opens, so a test can simulate a dropped connection.
const sockets: WebSocket[] = [];
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    sockets.push(this);
  }
} as typeof WebSocket;

const lc = new LevelChat();
let live: LiveSession | null = null;
const recorded: RecordedEvent[] = [];
const videos = new Map<string, HTMLVideoElement>();
const published: LocalTrackHandle[] = [];
let firstFrame: number | null = null;
const EVENTS = [
  'participant-joined',
  'participant-left',
  'track-subscribed',
  'track-unsubscribed',
  'connection-quality',
  'active-speaker',
  'chat',
  'reaction',
  'hand',
  'hand-queue',
  'question',
  'chat-deleted',
  'error',
  'disconnected',
  'session-ending',
  'reconnecting',
  'reconnected',
  'media-reset',
  'promoted',
  'viewer-count',
  'stage',
  'breakouts',
  'breakout-joined',
  'breakout-left',
] as const;
/** Events recorded from the breakout session (as `breakout:<event>`). */
const BREAKOUT_EVENTS = ['participant-joined', 'participant-left', 'track-subscribed', 'track-unsubscribed', 'error', 'disconnected'] as const;

function plain(value: unknown): unknown {
  if (value instanceof MediaStreamTrack) return { trackId: value.id, kind: value.kind };
  if (Array.isArray(value)) return value.map(plain);
  // Class instances (a breakout's LiveSession) are not data.
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) !== Object.prototype) return `[${value.constructor.name}]`;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (typeof v !== 'function') out[k] = plain(v);
    return out;
  }
  return value;
}

function failure(err: unknown): Outcome<never> {
  const e = err as { code?: string; message?: string };
  return { ok: false, code: e?.code ?? 'unknown', message: e?.message ?? String(err) };
}

function attach(t: SubscribedTrack): void {
  if (t.kind !== 'video') {
    const audio = document.createElement('audio');
    audio.srcObject = new MediaStream([t.track]);
    audio.autoplay = true;
    document.body.append(audio);
    return;
  }
  const video = document.createElement('video');
  video.muted = true;
  video.autoplay = true;
  video.playsInline = true;
  video.dataset['participant'] = t.participantId;
  video.srcObject = new MediaStream([t.track]);
  document.getElementById('tiles')!.append(video);
  videos.set(t.producerId, video);
  const onFrame = () => {
    firstFrame ??= performance.now();
  };
  video.requestVideoFrameCallback(onFrame);
  void video.play().catch(() => {});
}

const tracks: SubscribedTrack[] = [];

// LL-HLS: one <video> for the SDK's fallback or for playHls().
let hlsVideo: HTMLVideoElement | null = null;
let ownPlayer: Player | null = null;
function hlsElement(): HTMLVideoElement {
  if (!hlsVideo) {
    hlsVideo = document.createElement('video');
    hlsVideo.id = 'hls';
    hlsVideo.muted = true;
    hlsVideo.autoplay = true;
    hlsVideo.playsInline = true;
    document.body.append(hlsVideo);
  }
  return hlsVideo;
}

/** The player's events, recorded as `player:<event>`. */
function recordPlayer(player: Player): void {
  for (const name of ['state', 'rendition', 'error'] as const) {
    player.on(name, (...args: unknown[]) => recorded.push({ at: performance.now(), event: `player:${name}`, args: args.map(plain) }));
  }
}

// The breakout the SDK moved us to: its tracks by producer id, with the sender's identity.
const breakoutTracks = new Map<string, { identity: string; t: SubscribedTrack; video: HTMLVideoElement | null }>();
function followBreakout(session: LiveSession): void {
  breakoutTracks.clear();
  for (const name of BREAKOUT_EVENTS) {
    session.room.on(name, (...args: unknown[]) => recorded.push({ at: performance.now(), event: `breakout:${name}`, args: args.map(plain) }));
  }
  session.room.on('track-subscribed', (t) => {
    let video: HTMLVideoElement | null = null;
    if (t.kind === 'video') {
      video = document.createElement('video');
      video.muted = true;
      video.autoplay = true;
      video.srcObject = new MediaStream([t.track]);
      document.getElementById('tiles')!.append(video);
      void video.play().catch(() => {});
    }
    breakoutTracks.set(t.producerId, { identity: session.participants.get(t.participantId)?.identity ?? t.participantId, t, video });
  });
  session.room.on('track-unsubscribed', (t) => {
    breakoutTracks.get(t.producerId)?.video?.remove();
    breakoutTracks.delete(t.producerId);
  });
}

const harness: Harness = {
  async join(options) {
    try {
      live = await lc.joinLive({ ...options, hlsVideo: hlsElement() });
      for (const name of EVENTS) {
        live.room.on(name, (...args: unknown[]) => {
          recorded.push({ at: performance.now(), event: name, args: args.map(plain) });
        });
      }
      live.room.on('track-subscribed', (t) => {
        tracks.push(t);
        attach(t);
      });
      live.room.on('track-unsubscribed', (t) => {
        videos.get(t.producerId)?.remove();
        videos.delete(t.producerId);
        const i = tracks.findIndex((x) => x.producerId === t.producerId);
        if (i >= 0) tracks.splice(i, 1);
      });
      live.room.on('breakout-joined', ({ session }) => followBreakout(session));
      live.room.on('breakout-left', () => {
        for (const b of breakoutTracks.values()) b.video?.remove();
        breakoutTracks.clear();
      });
      return { ok: true, value: { participantId: live.localParticipant.id, mode: live.mode, hlsUrl: live.hlsUrl } };
    } catch (err) {
      return failure(err);
    }
  },
  async call(method, ...args) {
    if (!live) return { ok: false, code: 'not_joined', message: 'join first' };
    try {
      const fn = (live as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method];
      if (typeof fn !== 'function') return { ok: false, code: 'unknown_method', message: method };
      const value = await fn.apply(live, args);
      if (value && typeof value === 'object' && 'producerId' in value) published.push(value as LocalTrackHandle);
      return { ok: true, value: plain(value) };
    } catch (err) {
      return failure(err);
    }
  },
  async endRoom(roomId) {
    try {
      await lc.rooms.end(roomId);
      return { ok: true, value: null };
    } catch (err) {
      return failure(err);
    }
  },
  events: (name) => recorded.filter((e) => !name || e.event === name),
  framesDecoded() {
    const out: Record<string, number> = {};
    for (const video of videos.values()) {
      const id = video.dataset['participant'] ?? '?';
      out[id] = (out[id] ?? 0) + video.getVideoPlaybackQuality().totalVideoFrames;
    }
    return out;
  },
  async inboundFramesDecoded() {
    const frames: number[] = [];
    for (const t of tracks.filter((x) => x.kind === 'video')) {
      (await t.getStats()).forEach((s: { type: string; framesDecoded?: number }) => {
        if (s.type === 'inbound-rtp' && typeof s.framesDecoded === 'number') frames.push(s.framesDecoded);
      });
    }
    return frames;
  },
  async receivingCandidateTypes() {
    const types: string[] = [];
    for (const t of tracks) {
      const stats = await t.getStats();
      const all = [...(stats.values() as IterableIterator<{ type: string; id: string; selectedCandidatePairId?: string; localCandidateId?: string; candidateType?: string }>)];
      for (const transport of all.filter((s) => s.type === 'transport' && s.selectedCandidatePairId)) {
        const pair = all.find((s) => s.id === transport.selectedCandidatePairId);
        const local = all.find((s) => s.id === pair?.localCandidateId);
        if (local?.candidateType) types.push(local.candidateType);
      }
    }
    return types;
  },
  firstFrameAt: () => firstFrame,
  async playHls(url, options = {}) {
    ownPlayer?.destroy();
    ownPlayer = createPlayer(hlsElement(), { ...options, url });
    recordPlayer(ownPlayer);
    return { ok: true, value: null };
  },
  async playHlsElement(url) {
    ownPlayer?.destroy();
    hlsVideo?.remove();
    const el = document.createElement('levelchat-player') as LevelChatPlayerElement;
    el.setAttribute('muted', '');
    el.setAttribute('src', url);
    document.body.append(el);
    hlsVideo = el.video;
    ownPlayer = el.player;
    if (ownPlayer) recordPlayer(ownPlayer);
    return { ok: true, value: null };
  },
  readout() {
    return document.querySelector('levelchat-player')?.shadowRoot?.querySelector('.readout')?.textContent ?? null;
  },
  playLiveHls() {
    if (!live) return Promise.resolve({ ok: false, code: 'not_joined', message: 'join first' } as const);
    return live.playHls(hlsElement()).then(
      () => ({ ok: true as const, value: null }),
      (err: unknown) => failure(err),
    );
  },
  hlsStats(): HlsStats | null {
    const player = ownPlayer ?? live?.player ?? null;
    if (!player || !hlsVideo) return null;
    const q = hlsVideo.getVideoPlaybackQuality();
    return {
      state: player.state,
      frames: q.totalVideoFrames,
      dropped: q.droppedVideoFrames,
      latency: player.latency(),
      edgeLatency: player.edgeLatency(),
      currentTime: hlsVideo.currentTime,
      paused: hlsVideo.paused,
      ...player.stats,
    };
  },
  mode: () => live?.mode ?? null,
  breakout() {
    const session = live?.breakoutSession;
    if (!session) return null;
    const frames: Record<string, number> = {};
    for (const b of breakoutTracks.values()) if (b.video) frames[b.identity] = (frames[b.identity] ?? 0) + b.video.getVideoPlaybackQuality().totalVideoFrames;
    return {
      roomId: session.roomId,
      participants: [...session.participants.values()].map((p) => p.identity).sort(),
      tracks: [...breakoutTracks.values()].map((b) => ({ identity: b.identity, kind: b.t.kind, source: b.t.source })),
      published: session.localTracks.map((t) => t.source).sort(),
      frames,
    };
  },
  mainTracks() {
    return tracks.map((t) => ({ participantId: t.participantId, identity: live?.participants.get(t.participantId)?.identity ?? t.participantId, kind: t.kind, ended: t.track.readyState === 'ended' }));
  },
  published: () => (live ? live.localTracks.map((t) => t.source).sort() : []),
  async timeToFirstFrame(options, timeoutMs) {
    const t0 = performance.now();
    const joined = await harness.join(options);
    if (!joined.ok) return joined;
    const joinedMs = performance.now() - t0;
    const until = t0 + timeoutMs;
    while (firstFrame === null && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
    if (firstFrame === null) return { ok: false, code: 'timeout', message: `no remote frame within ${timeoutMs} ms` };
    const subscribed = recorded.find((e) => e.event === 'track-subscribed' && (e.args[0] as { kind?: string }).kind === 'video');
    return { ok: true, value: { joinedMs, subscribedMs: (subscribed?.at ?? NaN) - t0, firstFrameMs: firstFrame - t0 } };
  },
  participants: () => (live ? [...live.participants.values()].map((p) => ({ id: p.id, identity: p.identity })) : []),
  chatHistory: () => (live ? live.chatHistory.map((m) => ({ identity: m.identity, text: m.text })) : []),
  questions: () => (live ? live.questions.map((q) => ({ ...q })) : []),
  handQueue: () => (live ? live.handQueue.map((x) => ({ ...x })) : []),
  local: () => (live ? { id: live.localParticipant.id, identity: live.localParticipant.identity, handRaised: live.localParticipant.handRaised, onStage: live.localParticipant.onStage } : null),
  async leave() {
    ownPlayer?.destroy();
    ownPlayer = null;
    await live?.leave();
  },
  async unpublish(source) {
    const handle = published.find((p) => p.source === source);
    if (!handle) return false;
    await handle.stop();
    published.splice(published.indexOf(handle), 1);
    return true;
  },
  dropSignaling() {
    const open = sockets.filter((s) => s.readyState === WebSocket.OPEN);
    for (const s of open) s.close(4999, 'test drop');
    return open.length;
  },
  rawRequest(signalingUrl, token, method, data) {
    return new Promise((resolve) => {
      const ws = new NativeWebSocket(signalingUrl);
      const done = (outcome: Outcome) => {
        ws.close();
        resolve(outcome);
      };
      ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: 'join', data: { token } }));
      ws.onerror = () => done({ ok: false, code: 'connection_failed', message: signalingUrl });
      ws.onmessage = (e) => {
        const frame = JSON.parse(String(e.data)) as { id?: number; ok?: boolean; data?: unknown; error?: { code: string; message: string } };
        if (frame.id === 1) {
          if (!frame.ok) return done({ ok: false, code: frame.error?.code ?? '?', message: frame.error?.message ?? '' });
          ws.send(JSON.stringify({ id: 2, method, data }));
        } else if (frame.id === 2) {
          done(frame.ok ? { ok: true, value: frame.data } : { ok: false, code: frame.error?.code ?? '?', message: frame.error?.message ?? '' });
        }
      };
    });
  },
};

(window as unknown as { harness: Harness }).harness = harness;
document.title = 'harness ready';
