import type { Redis } from 'ioredis';

/** Milliseconds since the epoch. */
export type Clock = () => Promise<number>;

/**
 * Redis' clock: the one every node shares. Token issue times and revocation times are both read
 * from it, so a revocation on one node compares with a token minted on another whatever their own
 * clocks say (a token minted offline carries the integrator's clock).
 */
export function redisClock(redis: Redis): Clock {
  return async () => {
    const [seconds, micros] = await redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  };
}
