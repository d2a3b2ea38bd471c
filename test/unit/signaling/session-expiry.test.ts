import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SESSION_ENDING_NOTICE_MS, SessionExpiry } from '../../../src/signaling/session-expiry.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});
afterEach(() => vi.useRealTimers());

describe('SessionExpiry', () => {
  it('warns a minute ahead, then ends the session when the token expires', () => {
    const on = { ending: vi.fn(), expired: vi.fn() };
    const expiresAt = new Date(Date.now() + 5 * 60_000);
    new SessionExpiry(on).watch(expiresAt);
    vi.advanceTimersByTime(5 * 60_000 - SESSION_ENDING_NOTICE_MS - 1);
    expect(on.ending).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(on.ending).toHaveBeenCalledWith(expiresAt);
    expect(on.expired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(SESSION_ENDING_NOTICE_MS);
    expect(on.expired).toHaveBeenCalledOnce();
  });

  it('warns at once when less than the notice is left', () => {
    const on = { ending: vi.fn(), expired: vi.fn() };
    new SessionExpiry(on).watch(new Date(Date.now() + 3000));
    vi.advanceTimersByTime(0);
    expect(on.ending).toHaveBeenCalledOnce();
    vi.advanceTimersByTime(3000);
    expect(on.expired).toHaveBeenCalledOnce();
  });

  it('starts over for a new token, and stops when cancelled', () => {
    const on = { ending: vi.fn(), expired: vi.fn() };
    const expiry = new SessionExpiry(on);
    expiry.watch(new Date(Date.now() + 3000));
    expiry.watch(new Date(Date.now() + 3_600_000));
    vi.advanceTimersByTime(10_000);
    expect(on.ending).not.toHaveBeenCalled();
    expect(on.expired).not.toHaveBeenCalled();
    expiry.cancel();
    vi.advanceTimersByTime(3_600_000);
    expect(on.expired).not.toHaveBeenCalled();
  });
});
