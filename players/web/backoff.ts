// The pause between attempts to reach a node: 200 ms doubling to 2 s, never past a deadline.

const FIRST_DELAY_MS = 200;
const MAX_DELAY_MS = 2000;

export class Backoff {
  readonly #deadline: number;
  #delay = FIRST_DELAY_MS;

  constructor(windowMs: number) {
    this.#deadline = Date.now() + windowMs;
  }

  /** Milliseconds left before the deadline (0 or less: give up). */
  get remaining(): number {
    return this.#deadline - Date.now();
  }

  /** Waits the current delay (never past the deadline); the next one is twice as long. */
  async pause(): Promise<void> {
    const wait = Math.min(this.#delay, this.remaining);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    this.#delay = Math.min(this.#delay * 2, MAX_DELAY_MS);
  }
}
