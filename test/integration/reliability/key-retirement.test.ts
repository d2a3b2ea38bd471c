// What a deleted key made is stopped durably (src/auth/key-retirement.ts), on a Redis of its own: a
// sweep takes only retirements whose lease lapsed, a key whose finishing fails stays marked for a later
// sweep, sweeps do not overlap, and a key is finished once even when a DELETE and a sweep both ask. The
// whole path with real rooms and webhooks: test/integration/control-plane/keys.test.ts.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../common/logger.js';
import { KeyRetirement, retirementLeaseEnd, RETIRING_KEYS } from '../../../src/auth/key-retirement.js';
import { freshRedisDb } from '../../helpers/test-stack.js';

let redis: Redis;
beforeAll(async () => {
  redis = new Redis(await freshRedisDb());
});
afterAll(() => redis.quit());

const retiring = () => redis.zrange(RETIRING_KEYS, 0, -1);
/** Marks keys as a deletion whose lease lapsed long ago does. */
const lapsed = (...ids: string[]) => redis.zadd(RETIRING_KEYS, ...ids.flatMap((id) => [0, id]));
const released = () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return { gate, release };
};

describe('key retirement', () => {
  it('leaves a key to whoever holds its lease, and takes it once the lease lapsed', async () => {
    const finished: string[] = [];
    const retirement = new KeyRetirement(redis, async (keyId) => void finished.push(keyId), createLogger('silent'));
    await redis.zadd(RETIRING_KEYS, retirementLeaseEnd(), 'k_held');
    expect(await retirement.sweep()).toBe(0);
    expect(await retiring()).toEqual(['k_held']);
    await lapsed('k_held');
    expect(await retirement.sweep()).toBe(1);
    expect(finished).toEqual(['k_held']);
    expect(await retiring()).toEqual([]);
  });

  it('keeps a key whose rooms could not be stopped (Redis blinked) for a later sweep, and finishes it there', async () => {
    await lapsed('k_a', 'k_b');
    const finished: string[] = [];
    let failing = 'k_b';
    const retirement = new KeyRetirement(redis, async (keyId) => {
      if (keyId === failing) throw new Error('connection reset');
      finished.push(keyId);
    }, createLogger('silent'));

    expect(await retirement.sweep()).toBe(1);
    expect(finished).toEqual(['k_a']);
    // Still marked, under the lease the sweep took: not again until it lapses.
    expect(await retiring()).toEqual(['k_b']);
    expect(await redis.zscore(RETIRING_KEYS, 'k_b')).not.toBe('0');
    expect(await retirement.sweep()).toBe(0);

    failing = '';
    await lapsed('k_b');
    expect(await retirement.sweep()).toBe(1);
    expect(finished).toEqual(['k_a', 'k_b']);
    expect(await retiring()).toEqual([]);
  });

  it('runs one sweep at a time, and a sweep asked for during another sees what lapsed meanwhile', async () => {
    await lapsed('k_slow');
    const { gate, release } = released();
    const finished: string[] = [];
    const retirement = new KeyRetirement(redis, async (keyId) => {
      if (keyId === 'k_slow') await gate;
      finished.push(keyId);
    }, createLogger('silent'));

    const first = retirement.sweep();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await lapsed('k_late');
    const second = retirement.sweep();
    release();
    expect(await first).toBe(1);
    expect(await second).toBe(1);
    expect(finished).toEqual(['k_slow', 'k_late']);
    expect(await retiring()).toEqual([]);
  });

  it("a DELETE retiring a key a sweep is already on waits for that sweep's work (its 204 still comes after the rooms ended), and the key is finished once", async () => {
    await lapsed('k_both');
    const { gate, release } = released();
    let calls = 0;
    const retirement = new KeyRetirement(redis, async () => {
      calls++;
      await gate;
    }, createLogger('silent'));

    const sweep = retirement.sweep();
    await new Promise((resolve) => setTimeout(resolve, 50));
    let answered = false;
    const request = retirement.retire(['k_both']).then((n) => ((answered = true), n));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(false);
    release();
    expect(await request).toBe(1);
    expect(await sweep).toBe(1);
    expect(calls).toBe(1);
    expect(await retiring()).toEqual([]);
  });
});
