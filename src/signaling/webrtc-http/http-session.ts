import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import type { ParticipantLink } from '../participant.js';

export type SessionKind = 'whip' | 'whep';

/** A connection that never completes ICE + DTLS within this time is given up (the client went away). */
export const CONNECT_TIMEOUT_MS = 30_000;
/** ICE that lost the client is given this long to come back (an ICE restart) before the session ends. */
export const DISCONNECT_GRACE_MS = 15_000;

export interface HttpSessionEvents {
  /** The participant's link closed: the session is over (left, kicked, host ended, media lost). */
  closed: [reason: string];
  /** A room event the participant would get over a WebSocket. */
  event: [name: string, data: unknown];
}

/**
 * A WHIP publisher or WHEP player: the HTTP resource (`Location`, `ETag`) and the participant's
 * link. There is no socket to speak to, so room events are only observed; the session ends when
 * the participant is removed (DELETE, kick, revocation, room ended) or when its transport shows
 * the client is gone, in which case `leave` takes the participant out of the room.
 */
export class HttpSession implements ParticipantLink {
  readonly id = randomBytes(12).toString('base64url');
  readonly observer = new EventEmitter<HttpSessionEvents>();
  #etag = newEtag();
  #closed = false;
  #timer: NodeJS.Timeout | null = null;
  #transport: types.WebRtcTransport | null = null;

  constructor(
    readonly kind: SessionKind,
    readonly roomId: string,
    readonly identity: string,
    private readonly leave: (reason: string) => void,
  ) {}

  /** The entity tag of the session's ICE state: changes with every ICE restart (RFC 9725 §4.3). */
  get etag(): string {
    return this.#etag;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Follows the session's transport: the client never connecting, or leaving, ends the session. */
  watch(transport: types.WebRtcTransport): void {
    this.#transport = transport;
    this.#arm(CONNECT_TIMEOUT_MS, 'connect_timeout');
    transport.on('icestatechange', (state) => {
      if (state === 'connected' || state === 'completed') this.#disarm();
      else if (state === 'disconnected') this.#arm(DISCONNECT_GRACE_MS, 'ice_disconnected');
    });
    transport.on('dtlsstatechange', (state) => {
      if (state === 'failed' || state === 'closed') this.#end(`dtls_${state}`);
    });
    transport.on('routerclose', () => this.#end('media_closed'));
  }

  /** ICE restart (PATCH with new credentials): our new ICE parameters, under a new entity tag. */
  async restartIce(): Promise<types.IceParameters> {
    if (!this.#transport) throw new Error('the session has no transport yet');
    const ice = await this.#transport.restartIce();
    this.#etag = newEtag();
    this.#arm(CONNECT_TIMEOUT_MS, 'connect_timeout');
    return ice;
  }

  /** Our side of the transport (for the ICE restart answer). */
  get transport(): types.WebRtcTransport | null {
    return this.#transport;
  }

  // ParticipantLink: what the room tells the participant, and the end of it.

  send(frame: unknown): void {
    if (this.#closed || typeof frame !== 'object' || frame === null || !('event' in frame)) return;
    const { event, data } = frame as { event: string; data: unknown };
    // The media is gone with its worker: an HTTP session cannot be told to set it up again.
    if (event === 'media-reset') this.#end('media_reset');
    else this.observer.emit('event', event, data);
  }

  close(_code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#disarm();
    this.observer.emit('closed', reason);
  }

  /** The client is gone: the participant leaves, which closes this link. */
  #end(reason: string): void {
    if (this.#closed) return;
    this.#disarm();
    this.leave(reason);
  }

  #arm(ms: number, reason: string): void {
    this.#disarm();
    this.#timer = setTimeout(() => this.#end(reason), ms);
    this.#timer.unref();
  }

  #disarm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

function newEtag(): string {
  return `"${randomBytes(9).toString('base64url')}"`;
}
