import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, retryDelayMs } from '../../../src/webhooks/webhook-dispatcher.js';

/** When each attempt happens (ms after the event), under a policy. */
function attemptTimes(policy = DEFAULT_RETRY_POLICY): number[] {
  const times = [0];
  for (let attempt = 1; attempt < policy.attempts; attempt += 1) times.push(times.at(-1)! + retryDelayMs(policy, attempt));
  return times;
}

describe('webhook retry schedule', () => {
  it('keeps retrying for more than 24 hours, at most an hour apart', () => {
    const times = attemptTimes();
    expect(times.at(-1)!).toBeGreaterThan(24 * 3600 * 1000);
    for (let i = 1; i < times.length; i += 1) expect(times[i]! - times[i - 1]!).toBeLessThanOrEqual(3600 * 1000);
  });

  it('delivers soon after a receiver outage of 10 minutes ends (within the outage again)', () => {
    const outage = 10 * 60 * 1000;
    const next = attemptTimes().find((t) => t >= outage)!;
    expect(next - outage).toBeLessThanOrEqual(outage);
  });
});
