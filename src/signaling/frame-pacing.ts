import type { WebSocket } from 'ws';
import { TokenBucket } from '../../common/token-bucket.js';

/** Frames one connection may send at once (a join subscribing to a room's tracks sends two per track). */
export const FRAME_BURST = 100;
/** Frames per second a connection may send once its burst is spent. */
export const FRAMES_PER_SECOND = 50;
/** Requests of one connection the node works on at once; the next wait for one of them to be answered. */
export const FRAMES_IN_FLIGHT = 4;

/**
 * Paces what one connection makes the node do: a few requests at a time, and past its budget,
 * frames wait (in order) until the budget has room for them while the server stops reading the
 * connection, so more frames wait in the client's TCP buffers. A client that floods, all at once or
 * with many requests in flight, is answered at the rate and takes a few turns of the event loop at
 * a time, instead of as many as the node can give, which would be taken from everyone else. Waiting
 * frames are at most what was read before the pause (one socket read).
 */
export class FramePacing {
  readonly #budget = new TokenBucket(FRAME_BURST, FRAMES_PER_SECOND);
  #waiting: (() => Promise<void>)[] = [];
  #inFlight = 0;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(private readonly ws: WebSocket) {
    ws.once('close', () => {
      this.#closed = true;
      if (this.#timer) clearTimeout(this.#timer);
      this.#waiting = [];
    });
  }

  /** Handles a frame now, or once the budget and the requests in flight leave room for it. */
  admit(handle: () => Promise<void>): void {
    this.#waiting.push(handle);
    this.#next();
  }

  #next(): void {
    while (this.#waiting.length > 0 && this.#inFlight < FRAMES_IN_FLIGHT && !this.#timer) {
      if (!this.#budget.take()) return this.#wait();
      const handle = this.#waiting.shift()!;
      this.#inFlight += 1;
      void handle().finally(() => {
        this.#inFlight -= 1;
        if (!this.#closed) this.#next();
      });
    }
    // Read on only when nothing waits: what waits is all that was read.
    if (this.#waiting.length === 0 && this.ws.isPaused && !this.#timer) this.ws.resume();
    else if (this.#waiting.length > 0 && !this.ws.isPaused) this.ws.pause();
  }

  #wait(): void {
    this.ws.pause();
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#next();
    }, Math.max(1, Math.ceil(this.#budget.msUntilNext())));
  }
}
