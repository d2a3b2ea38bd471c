import { describe, expect, it } from 'vitest';
import { FeatureLimits } from '../../../src/signaling/feature-limits.js';
import type { SignalingError } from '../../../src/signaling/signaling-errors.js';

const refusal = (fn: () => unknown) => {
  try {
    fn();
    return 'taken';
  } catch (err) {
    return `${(err as SignalingError).code} ${JSON.stringify((err as SignalingError).details)}`;
  }
};

describe('FeatureLimits.takeFromAll (an identity and its room)', () => {
  const t0 = 1_000_000;

  it("takes from both, or from neither: the room's refusal leaves the identity its share", () => {
    const identity = new FeatureLimits({ chat: { burst: 2, perSecond: 1 } });
    const other = new FeatureLimits({ chat: { burst: 2, perSecond: 1 } });
    const room = new FeatureLimits({ chat: { burst: 2, perSecond: 10 } });
    expect(refusal(() => FeatureLimits.takeFromAll([other, room], 'chat', t0))).toBe('taken');
    expect(refusal(() => FeatureLimits.takeFromAll([other, room], 'chat', t0))).toBe('taken');
    // The room is spent: refused, with when to try again (one room token at 10/s).
    expect(refusal(() => FeatureLimits.takeFromAll([identity, room], 'chat', t0))).toBe('rate_limited {"retry_after_ms":100}');
    expect(refusal(() => FeatureLimits.takeFromAll([identity, room], 'chat', t0 + 50))).toMatch(/^rate_limited/);
    // Both refusals cost the identity nothing: its burst of 2 is whole once the room has refilled.
    expect(refusal(() => FeatureLimits.takeFromAll([identity, room], 'chat', t0 + 200))).toBe('taken');
    expect(refusal(() => FeatureLimits.takeFromAll([identity, room], 'chat', t0 + 200))).toBe('taken');
    // Now the identity is spent (1/s) while the room is not: the wait is the identity's.
    expect(refusal(() => FeatureLimits.takeFromAll([identity, room], 'chat', t0 + 300))).toBe('rate_limited {"retry_after_ms":900}');
  });

  it('does not limit a feature with no rate in a set (the room has none for breakouts)', () => {
    const identity = new FeatureLimits({ breakouts: { burst: 1, perSecond: 0.05 } });
    const room = new FeatureLimits({});
    expect(refusal(() => FeatureLimits.takeFromAll([identity, room], 'breakouts', t0))).toBe('taken');
    expect(refusal(() => FeatureLimits.takeFromAll([identity, room], 'breakouts', t0))).toMatch(/^rate_limited/);
  });
});
