import { EventEmitter } from 'node:events';
import type { MediaTag } from './encoder-media.js';

export type IngestProtocol = 'rtmp' | 'srt';

/** Tags kept while nobody reads yet (the key is being looked up): a few seconds of a live stream. */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

interface EncoderSourceEvents {
  tag: [tag: MediaTag];
  end: [reason: string];
}

/**
 * One encoder connection, whatever it came over: the FLV tags it sends, in order, and its end. The
 * protocol side (an RTMP socket, an SRT listener's ffmpeg) feeds it; the ingest reads it and may
 * cut the encoder off (`close`).
 */
export class EncoderSource {
  readonly #events = new EventEmitter<EncoderSourceEvents>();
  #ended: string | null = null;
  /** Copies of the tags that came before anyone read: the codec configuration comes first and must not be lost. */
  #pending: MediaTag[] | null = [];
  #pendingBytes = 0;

  constructor(
    readonly protocol: IngestProtocol,
    /** Where the encoder connects from, for logs. */
    readonly remote: string,
    /** Cuts the encoder off (the protocol side then calls `end`). */
    private readonly cutOff: (reason: string) => void,
  ) {}

  get ended(): boolean {
    return this.#ended !== null;
  }

  /** The first listener gets the tags that came before it, then every tag as it comes. */
  onTag(listener: (tag: MediaTag) => void): void {
    const pending = this.#pending;
    this.#pending = null;
    for (const tag of pending ?? []) listener(tag);
    this.#events.on('tag', listener);
  }

  /** Runs once, when the encoder is gone; at once if it is gone already. */
  onEnd(listener: (reason: string) => void): void {
    if (this.#ended !== null) listener(this.#ended);
    else this.#events.once('end', listener);
  }

  /** The protocol side: a tag arrived. */
  push(tag: MediaTag): void {
    if (this.#ended !== null) return;
    if (!this.#pending) {
      this.#events.emit('tag', tag);
      return;
    }
    // The parser reuses its buffer: what is kept is copied.
    this.#pending.push({ ...tag, data: Buffer.from(tag.data.subarray(0, tag.size)) });
    this.#pendingBytes += tag.size;
    if (this.#pendingBytes > MAX_PENDING_BYTES) this.close('too much media before the stream key was checked');
  }

  /** The protocol side: the encoder is gone. */
  end(reason: string): void {
    if (this.#ended !== null) return;
    this.#ended = reason;
    this.#pending = null;
    this.#events.emit('end', reason);
    this.#events.removeAllListeners('tag');
  }

  /** Cuts the encoder off. */
  close(reason: string): void {
    if (this.#ended !== null) return;
    this.cutOff(reason);
    this.end(reason);
  }
}
