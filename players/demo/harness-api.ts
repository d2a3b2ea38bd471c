// The shape of `window.harness` (players/demo/harness.ts), shared with the Node side that drives it
// (test/e2e, bench/join.ts). Types only: no DOM, no Node.

export interface RecordedEvent {
  /** performance.now() in the page when the event fired. */
  at: number;
  event: string;
  /** The listener's arguments as plain JSON (tracks become `{ trackId, kind }`). */
  args: unknown[];
}

export type Outcome<T = unknown> = { ok: true; value: T } | { ok: false; code: string; message: string };

/** The LL-HLS player of the page (harness.playHls, or the SDK's fallback). */
export interface HlsStats {
  state: string;
  /** HTMLVideoElement.getVideoPlaybackQuality().totalVideoFrames */
  frames: number;
  dropped: number;
  /** Glass to glass, s: Date.now() - hls.playingDate. */
  latency: number | null;
  /** Behind the live edge as hls.js sees it, s. */
  edgeLatency: number | null;
  currentTime: number;
  paused: boolean;
  rebuilds: number;
  renditionSwitches: number;
  mediaRecoveries: number;
  /** Stalls while playing (the player's stats.rebuffers). */
  rebuffers: number;
}

export interface BreakoutView {
  roomId: string;
  /** Identities of the others in the breakout. */
  participants: string[];
  /** Remote tracks received in the breakout, by sender identity. */
  tracks: { identity: string; kind: string; source: string }[];
  /** Sources you publish in the breakout. */
  published: string[];
  /** Presented frames per sender identity. */
  frames: Record<string, number>;
}

export interface Harness {
  /** Joins; the SDK's LL-HLS fallback (mode 'hls') plays in the page's #hls video. */
  join(options: { token: string; signalingUrl: string; roomType?: string; hlsFallback?: boolean; iceTransportPolicy?: 'all' | 'relay' }): Promise<Outcome<{ participantId: string; mode: 'webrtc' | 'hls'; hlsUrl: string | null }>>;
  /** Calls a LiveSession method by name; rejections come back as `{ ok: false, code, message }`. */
  call(method: string, ...args: unknown[]): Promise<Outcome>;
  /** `lc.rooms.end(roomId)`. */
  endRoom(roomId: string): Promise<Outcome<null>>;
  events(name?: string): RecordedEvent[];
  /** Presented video frames per remote participant id (HTMLVideoElement.getVideoPlaybackQuality). */
  framesDecoded(): Record<string, number>;
  /** The candidate types (`host`, `srflx`, `relay`) of the local side of each received track's selected ICE pair. */
  receivingCandidateTypes(): Promise<string[]>;
  /** framesDecoded of each inbound video stream, from the receivers' getStats(). */
  inboundFramesDecoded(): Promise<number[]>;
  /**
   * Joins and waits for the first remote video frame: ms from the joinLive() call to joined, to
   * track-subscribed (video), and to the first presented frame.
   */
  timeToFirstFrame(options: { token: string; signalingUrl: string }, timeoutMs: number): Promise<Outcome<{ joinedMs: number; subscribedMs: number; firstFrameMs: number }>>;
  /** performance.now() when the first remote video frame was presented, or null. */
  firstFrameAt(): number | null;
  participants(): { id: string; identity: string }[];
  /** `live.chatHistory` (history from before you joined included). */
  chatHistory(): { identity: string; text: string }[];
  /** `live.questions`: open questions, most votes first. */
  questions(): { id: string; participantId: string; identity: string; text: string; votes: number; state: string; answer: string | null; askedAt: string }[];
  /** `live.handQueue` (moderators): raised hands in order. */
  handQueue(): { participantId: string; identity: string; raisedAt: string }[];
  /** `live.localParticipant` (without capabilities), or null before joining. */
  local(): { id: string; identity: string; handRaised: boolean; onStage: boolean } | null;
  /** Plays an LL-HLS master with createPlayer (from /sdk/levelchat-player.js) in the #hls video. */
  playHls(url: string, options?: { liveSyncDuration?: number; liveMaxLatencyDuration?: number; maxLiveSyncPlaybackRate?: number }): Promise<Outcome<null>>;
  /** The same through `<levelchat-player src=url muted>` (its video becomes the page's LL-HLS video). */
  playHlsElement(url: string): Promise<Outcome<null>>;
  /** The text of the <levelchat-player> latency readout. */
  readout(): string | null;
  /** `live.playHls(#hls)`: a WebRTC participant watches the room's LL-HLS (e.g. after `promoted`). */
  playLiveHls(): Promise<Outcome<null>>;
  hlsStats(): HlsStats | null;
  mode(): 'webrtc' | 'hls' | null;
  /** The breakout the SDK moved us to, or null. */
  breakout(): BreakoutView | null;
  /** Live remote tracks of the main session. */
  mainTracks(): { participantId: string; identity: string; kind: string; ended: boolean }[];
  /** Sources published in the main session. */
  published(): string[];
  leave(): Promise<void>;
  /** Stops (unpublishes) the local track of this source published through `call`. */
  unpublish(source: string): Promise<boolean>;
  /** Closes the SDK's signaling WebSocket(s) as a network failure would; returns how many. */
  dropSignaling(): number;
  /** Protocol probe without the SDK: a fresh socket joins with `token`, then sends one request. */
  rawRequest(signalingUrl: string, token: string, method: string, data: unknown): Promise<Outcome>;
}
