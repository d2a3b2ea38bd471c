// Breakouts: a moderator's `open_breakouts` sends each member a `breakout` event. The member joins
// that room as a session of its own (same signaling URL, the event's token), pauses the main room's
// media (the main session stays joined, to hear `breakouts {open: false}`), and moves camera and
// microphone there; closing or ending the breakout brings everything back.
import type { ServerEvents } from '../../src/signaling/protocol.js';
import type { EventSink } from '../shared/emitter.js';
import type { ErrorEventMap } from './errors.js';
import type { BreakoutLeftReason } from './room-data.js';
import type { SessionMedia } from './session-media.js';

/** `S`: the breakout's session as the app sees it (a LiveSession, which this file does not import). */
export interface BreakoutEventMap<S> extends ErrorEventMap {
  /**
   * You were moved into a breakout: `session` is that room, joined (listen on `session.room` for
   * its tracks: none arrived yet). Right after, the main room's media pauses and your camera and
   * microphone move there (`session.localTracks`).
   */
  'breakout-joined': [info: { roomId: string; number: number; session: S }];
  /** You are back in the main room: media resumed, camera and microphone published here again. */
  'breakout-left': [info: { roomId: string; number: number; reason: BreakoutLeftReason }];
}

/** Either end of a move: a room where camera and microphone can be published. */
export interface MoveEnd {
  /** Publishes a camera or microphone track from the other room; a refusal stops it and is reported in this room. */
  publishMoved(source: 'camera' | 'microphone', track: MediaStreamTrack, simulcast: boolean): Promise<void>;
}

/** A breakout room, joined as a session of its own. */
export interface JoinedBreakout<S> extends MoveEnd {
  readonly session: S;
  leave(): Promise<void>;
  /** `listener` runs when the breakout session ends by itself (not by `leave()`). */
  onEnded(listener: () => void): void;
}

/** What the main session lends its breakouts. */
export interface BreakoutHost<S> extends MoveEnd {
  ended(): boolean;
  /** The main room's media: paused while away, its camera and microphone moved. */
  readonly media: SessionMedia;
  join(to: ServerEvents['breakout']): Promise<JoinedBreakout<S>>;
  /** Runs a move after the moves before it: one at a time. */
  move(step: () => Promise<void>): void;
}

/** The breakout you are in, and copies of the main room's camera and microphone kept for your return. */
interface Current<S> {
  roomId: string;
  number: number;
  joined: JoinedBreakout<S>;
  parked: { source: 'camera' | 'microphone'; track: MediaStreamTrack }[];
}

export class Breakouts<S> {
  readonly #host: BreakoutHost<S>;
  readonly #events: EventSink<BreakoutEventMap<S>>;
  #current: Current<S> | null = null;

  constructor(host: BreakoutHost<S>, events: EventSink<BreakoutEventMap<S>>) {
    this.#host = host;
    this.#events = events;
  }

  /** The breakout room you are in (its own session), or null. */
  get session(): S | null {
    return this.#current?.joined.session ?? null;
  }

  /** Joins the breakout the server sent us to (leaving the one we are in), and moves camera and microphone there. */
  async enter(to: ServerEvents['breakout']): Promise<void> {
    if (this.#host.ended()) return;
    if (this.#current) await this.leave('left');
    const joined = await this.#host.join(to);
    if (this.#host.ended()) return void (await joined.leave());
    const current: Current<S> = { roomId: to.room_id, number: to.number, joined, parked: [] };
    this.#current = current;
    joined.onEnded(() => this.#host.move(() => (this.#current === current ? this.leave('ended') : Promise.resolve())));
    // At once, so listeners on the breakout's events see every track of it.
    this.#events.emit('breakout-joined', { roomId: to.room_id, number: to.number, session: joined.session });
    const media = this.#host.media;
    await media.suspendReceiving();
    // What goes with you: copies of your camera and microphone (the originals stop with their
    // producers here); another copy is kept to publish again when you come back.
    const handles = media.published;
    for (const h of handles) {
      if ((h.source === 'camera' || h.source === 'microphone') && h.track.readyState === 'live') current.parked.push({ source: h.source, track: h.track.clone() });
    }
    await Promise.all(handles.map((h) => h.stop()));
    await Promise.all(current.parked.map((p) => joined.publishMoved(p.source, p.track.clone(), media.cameraSimulcast)));
  }

  /** Leaves the breakout and takes up the main room again: media resumes, camera and microphone return. */
  async leave(reason: BreakoutLeftReason): Promise<void> {
    const current = this.#current;
    if (!current || this.#host.ended()) return;
    this.#current = null;
    await current.joined.leave();
    const media = this.#host.media;
    await media.resumeReceiving();
    for (const p of current.parked) await this.#host.publishMoved(p.source, p.track, media.cameraSimulcast);
    this.#events.emit('breakout-left', { roomId: current.roomId, number: current.number, reason });
  }

  /** The main session ends: leave the breakout, release the kept tracks. */
  close(): Promise<void> {
    const current = this.#current;
    this.#current = null;
    for (const { track } of current?.parked ?? []) track.stop();
    return current?.joined.leave() ?? Promise.resolve();
  }
}

