/**
 * A token bucket: `burst` actions at once, refilled continuously at `perSecond`. The one rate
 * limit of the code base: REST keys and addresses (src/api/rate-limiter.ts) and signaling
 * participants and sockets take from buckets like this one. Times are passed in so tests and
 * callers holding a clock reading need no timers.
 */
export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    readonly burst: number,
    readonly perSecond: number,
    now = Date.now(),
  ) {
    this.#tokens = burst;
    this.#at = now;
  }

  /** Takes one token when there is one. */
  take(now = Date.now()): boolean {
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is there (0: now). */
  msUntilNext(now = Date.now()): number {
    this.#refill(now);
    return this.#tokens >= 1 ? 0 : ((1 - this.#tokens) / this.perSecond) * 1000;
  }

  /** Full again: nothing distinguishes it from a new bucket, so a keyed map may drop it. */
  isFull(now = Date.now()): boolean {
    this.#refill(now);
    return this.#tokens >= this.burst;
  }

  #refill(now: number): void {
    // A clock that steps back refills nothing (and never drains).
    const elapsed = Math.max(0, now - this.#at);
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed / 1000) * this.perSecond);
    this.#at = Math.max(this.#at, now);
  }
}
