import type { ParticipantLink } from '../signaling/participant.js';

export interface EncoderLinkEvents {
  /** The room removed the participant (kicked, key revoked, room ended): the encoder is cut off. */
  closed(reason: string): void;
  /** The room's media moved to a new cascade (a worker died): the producers have to be made again. */
  mediaReset(): void;
  /** The session's token expires soon (`session-ending`): the ingest brings a new one. */
  tokenEnding(): void;
}

/**
 * How the room reaches an encoder's participant. An encoder has no signaling connection: room
 * events are of no use to it, except the three that change what the ingest must do.
 */
export class EncoderLink implements ParticipantLink {
  #closed = false;

  constructor(private readonly on: EncoderLinkEvents) {}

  send(frame: unknown): void {
    if (this.#closed || typeof frame !== 'object' || frame === null) return;
    const { event } = frame as { event?: unknown };
    if (event === 'media-reset') this.on.mediaReset();
    else if (event === 'session-ending') this.on.tokenEnding();
  }

  close(_code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.on.closed(reason);
  }
}
