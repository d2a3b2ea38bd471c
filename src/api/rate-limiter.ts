import { ProblemError } from '../../common/problem.js';
import { TokenBucket } from '../../common/token-bucket.js';

const SWEEP_EVERY_MS = 60_000;

/**
 * Token buckets per key (an API key tree, a client address): `burst` requests at once, refilled at
 * `perSecond`. Kept per node in memory, so N nodes allow up to N× the rate; full buckets are
 * dropped (a new one is the same), so the map stays small.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private lastSweep = Date.now();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  /** 0 when allowed; otherwise the seconds until a request would be allowed. */
  take(key: string, now = Date.now()): number {
    this.sweep(now);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.burst, this.perSecond, now);
      this.buckets.set(key, bucket);
    }
    if (bucket.take(now)) return 0;
    return Math.max(1, Math.ceil(bucket.msUntilNext(now) / 1000));
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) if (bucket.isFull(now)) this.buckets.delete(key);
  }
}

/** The 429 a refused request gets: `rate_limited`, with when to come back. */
export function rateLimited(retryAfterS: number, detail: string): ProblemError {
  return new ProblemError('rate_limited', detail, { headers: { 'Retry-After': String(retryAfterS) } });
}

/**
 * `problem` as answered to `address`: a refused credential (401: an API key, a room token) spends the
 * address' budget in `failures`, and once it is spent the 429 takes its place, so credentials cannot
 * be tried at speed. Other problems pass as they are.
 */
export function limitFailedAuthentication(failures: RateLimiter, address: string, problem: ProblemError): ProblemError {
  if (problem.status !== 401) return problem;
  const wait = failures.take(address);
  return wait ? rateLimited(wait, 'too many failed authentications from this address') : problem;
}
