import type { ParticipantLink } from '../signaling/participant.js';

export interface EncoderLinkEvents {
  /** The room removed the participant (kicked, key revoked, room ended): the encoder is cut off. */
  closed(reason: string): void;
  /** The room's media moved to a new cascade (a worker died): the producers have to be made again. */
  mediaReset(): void;
}

/**
 * How the room reaches an encoder's participant. An encoder has no signaling connection: room
 * events are of no use to it, except the two that change what the ingest must do.
 */
export class EncoderLink implements ParticipantLink {
  #closed = false;

  constructor(private readonly on: EncoderLinkEvents) {}

  send(frame: unknown): void {
    if (!this.#closed && typeof frame === 'object' && frame !== null && (frame as { event?: unknown }).event === 'media-reset') this.on.mediaReset();
  }

  close(_code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.on.closed(reason);
  }
}
