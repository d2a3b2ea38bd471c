import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RateLimit } from '../../../src/signaling/rate-limit.js';

describe('RateLimit (per participant: chat, reactions)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => vi.useRealTimers());

  it('allows a burst at once, then refills at its rate', () => {
    const limit = new RateLimit(3, 2);
    expect([limit.take(), limit.take(), limit.take(), limit.take()]).toEqual([true, true, true, false]);
    vi.advanceTimersByTime(499);
    expect(limit.take()).toBe(false);
    vi.advanceTimersByTime(1);
    expect(limit.take()).toBe(true);
    expect(limit.take()).toBe(false);
  });

  it('never saves up more than its burst', () => {
    const limit = new RateLimit(2, 1);
    vi.advanceTimersByTime(60_000);
    expect([limit.take(), limit.take(), limit.take()]).toEqual([true, true, false]);
  });
});
