import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../common/token-bucket.js';

describe('TokenBucket (REST keys and addresses, signaling participants and sockets)', () => {
  const t0 = 1_000_000;

  it('allows a burst at once, then refills at its rate', () => {
    const bucket = new TokenBucket(3, 2, t0);
    expect([bucket.take(t0), bucket.take(t0), bucket.take(t0), bucket.take(t0)]).toEqual([true, true, true, false]);
    expect(bucket.take(t0 + 499)).toBe(false);
    expect(bucket.take(t0 + 500)).toBe(true);
    expect(bucket.take(t0 + 500)).toBe(false);
  });

  it('never saves up more than its burst', () => {
    const bucket = new TokenBucket(2, 1, t0);
    expect([bucket.take(t0 + 60_000), bucket.take(t0 + 60_000), bucket.take(t0 + 60_000)]).toEqual([true, true, false]);
  });

  it('says how long until the next token, and when it is full again', () => {
    const bucket = new TokenBucket(2, 4, t0);
    bucket.take(t0);
    bucket.take(t0);
    expect(bucket.msUntilNext(t0)).toBe(250);
    expect(bucket.msUntilNext(t0 + 100)).toBeCloseTo(150);
    expect(bucket.isFull(t0 + 400)).toBe(false);
    expect(bucket.isFull(t0 + 500)).toBe(true);
    expect(bucket.msUntilNext(t0 + 500)).toBe(0);
  });

  it('refills nothing when the clock steps back', () => {
    const bucket = new TokenBucket(1, 1, t0);
    bucket.take(t0);
    expect(bucket.take(t0 - 5000)).toBe(false);
    expect(bucket.take(t0 + 1000)).toBe(true);
  });
});
