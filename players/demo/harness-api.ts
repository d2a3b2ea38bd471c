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

export interface Harness {
  join(options: { token: string; signalingUrl: string; roomType?: string }): Promise<Outcome<{ participantId: string }>>;
  /** Calls a LiveSession method by name; rejections come back as `{ ok: false, code, message }`. */
  call(method: string, ...args: unknown[]): Promise<Outcome>;
  /** `lc.rooms.end(roomId)`. */
  endRoom(roomId: string): Promise<Outcome<null>>;
  events(name?: string): RecordedEvent[];
  /** Presented video frames per remote participant id (HTMLVideoElement.getVideoPlaybackQuality). */
  framesDecoded(): Record<string, number>;
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
  leave(): Promise<void>;
  /** Stops (unpublishes) the local track of this source published through `call`. */
  unpublish(source: string): Promise<boolean>;
  /** Closes the SDK's signaling WebSocket(s) as a network failure would; returns how many. */
  dropSignaling(): number;
  /** Protocol probe without the SDK: a fresh socket joins with `token`, then sends one request. */
  rawRequest(signalingUrl: string, token: string, method: string, data: unknown): Promise<Outcome>;
}
