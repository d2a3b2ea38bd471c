import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../src/api/rate-limiter.js';

describe('RateLimiter', () => {
  it('allows a burst, then the refill rate, and says how long to wait', () => {
    const limiter = new RateLimiter(10, 5);
    const t0 = 1_000_000;
    for (let i = 0; i < 5; i += 1) expect(limiter.take('k', t0)).toBe(0);
    expect(limiter.take('k', t0)).toBe(1);
    expect(limiter.take('k', t0 + 100)).toBe(0);
    expect(limiter.take('k', t0 + 100)).toBeGreaterThan(0);
  });

  it('keeps keys apart', () => {
    const limiter = new RateLimiter(1, 1);
    expect(limiter.take('a', 0)).toBe(0);
    expect(limiter.take('a', 0)).toBeGreaterThan(0);
    expect(limiter.take('b', 0)).toBe(0);
  });
});
