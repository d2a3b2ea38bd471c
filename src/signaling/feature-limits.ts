import { TokenBucket } from '../../common/token-bucket.js';
import { SignalingError } from './signaling-errors.js';

/**
 * How often one identity may use each room feature that reaches everyone in the room (every use is
 * a broadcast, some a webhook event or a stored entry): `burst` at once, then `perSecond`. Kept per
 * identity and room on each node, so joining again, or on several sockets, gives no fresh share.
 */
export const FEATURE_RATES = {
  chat: { burst: 5, perSecond: 1 },
  reaction: { burst: 10, perSecond: 3 },
  question: { burst: 3, perSecond: 0.2 },
  vote: { burst: 10, perSecond: 1 },
  /** Raising and lowering one's hand. */
  hand: { burst: 4, perSecond: 0.2 },
  /** `participant.hand_raised` webhook events: a raise sooner after the last one sent is not sent again. */
  handRaisedEvent: { burst: 1, perSecond: 1 / 30 },
  /** Opening and closing breakouts (rooms made, tokens minted for everyone). */
  breakouts: { burst: 2, perSecond: 0.05 },
  /** Playback tokens minted over signaling. */
  playback: { burst: 3, perSecond: 0.05 },
} as const satisfies Record<string, { burst: number; perSecond: number }>;

export type LimitedFeature = keyof typeof FEATURE_RATES;

/**
 * How often everyone in one room together may use the features that are broadcast to the whole
 * room: each use costs a send per participant, so many identities of one tenant at their own rates
 * would still take the node's event loop from the other rooms on it.
 */
export const ROOM_FEATURE_RATES: Partial<Record<LimitedFeature, { burst: number; perSecond: number }>> = {
  chat: { burst: 20, perSecond: 10 },
  reaction: { burst: 50, perSecond: 25 },
  question: { burst: 10, perSecond: 2 },
  vote: { burst: 20, perSecond: 10 },
  hand: { burst: 20, perSecond: 5 },
};

/** Buckets of one identity, or of one room (features without a rate there are not limited), made on first use. */
export class FeatureLimits {
  readonly #buckets = new Map<LimitedFeature, TokenBucket>();

  constructor(private readonly rates: Partial<Record<LimitedFeature, { burst: number; perSecond: number }>> = FEATURE_RATES) {}

  /**
   * Takes one use of `feature` from each of `limits` (an identity's and its room's), or from none of
   * them: refused with `rate_limited` (and when to try again) when any is spent, so a use the room
   * refuses does not also cost the identity its own share.
   */
  static takeFromAll(limits: readonly FeatureLimits[], feature: LimitedFeature, now = Date.now()): void {
    const buckets = limits.map((l) => l.#bucket(feature, now)).filter((b) => b !== undefined);
    const waitMs = Math.max(0, ...buckets.map((b) => b.msUntilNext(now)));
    if (waitMs > 0) throw new SignalingError('rate_limited', `too many ${feature} requests; slow down`, { retry_after_ms: Math.ceil(waitMs) });
    for (const b of buckets) b.take(now);
  }

  /** Takes one use of `feature` if there is one (for what is skipped rather than refused). */
  tryTake(feature: LimitedFeature, now = Date.now()): boolean {
    return this.#bucket(feature, now)?.take(now) ?? true;
  }

  /** Every bucket is full: nothing distinguishes these limits from new ones, so they may be dropped. */
  isIdle(now = Date.now()): boolean {
    return [...this.#buckets.values()].every((b) => b.isFull(now));
  }

  #bucket(feature: LimitedFeature, now: number): TokenBucket | undefined {
    let bucket = this.#buckets.get(feature);
    const rate = this.rates[feature];
    if (!bucket && rate) {
      bucket = new TokenBucket(rate.burst, rate.perSecond, now);
      this.#buckets.set(feature, bucket);
    }
    return bucket;
  }
}
