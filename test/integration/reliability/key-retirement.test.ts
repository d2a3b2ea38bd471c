// What a deleted key made is stopped durably (src/auth/key-retirement.ts), on a Redis of its own: a key
// whose finishing fails stays marked for the next sweep, sweeps do not overlap, and a key is finished
// once even when a DELETE and a sweep both ask. The whole path with real rooms and webhooks: test/integration/control-plane/keys.test.ts.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../common/logger.js';
import { KeyRetirement } from '../../../src/auth/key-retirement.js';
import { RETIRING_KEYS } from '../../../src/auth/key-tree.js';
import { freshRedisDb } from '../../helpers/test-stack.js';

let redis: Redis;
beforeAll(async () => {
  redis = new Redis(await freshRedisDb());
});
afterAll(() => redis.quit());

describe('key retirement', () => {
  it('keeps a key whose rooms could not be stopped (Redis blinked) for the next sweep, and finishes it there', async () => {
    await redis.sadd(RETIRING_KEYS, 'k_a', 'k_b');
    const finished: string[] = [];
    let failing = 'k_b';
    const retirement = new KeyRetirement(redis, async (keyId) => {
      if (keyId === failing) throw new Error('connection reset');
      finished.push(keyId);
    }, createLogger('silent'));

    expect(await retirement.retire(['k_a', 'k_b'])).toBe(1);
    expect(finished).toEqual(['k_a']);
    expect(await redis.smembers(RETIRING_KEYS)).toEqual(['k_b']);

    failing = '';
    expect(await retirement.sweep()).toBe(1);
    expect(finished).toEqual(['k_a', 'k_b']);
    expect(await redis.smembers(RETIRING_KEYS)).toEqual([]);
    expect(await retirement.sweep()).toBe(0);
  });

  it('runs one sweep at a time, and a sweep asked for during another sees what was added meanwhile', async () => {
    await redis.sadd(RETIRING_KEYS, 'k_slow');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const finished: string[] = [];
    const retirement = new KeyRetirement(redis, async (keyId) => {
      if (keyId === 'k_slow') await gate;
      finished.push(keyId);
    }, createLogger('silent'));

    const first = retirement.sweep();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await redis.sadd(RETIRING_KEYS, 'k_late');
    const second = retirement.sweep();
    release();
    expect(await first).toBe(1);
    expect(await second).toBe(1);
    expect(finished).toEqual(['k_slow', 'k_late']);
    expect(await redis.smembers(RETIRING_KEYS)).toEqual([]);
  });

  it("a DELETE retiring a key a sweep is already on waits for that sweep's work (its 204 still comes after the rooms ended), and the key is finished once", async () => {
    await redis.sadd(RETIRING_KEYS, 'k_both');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
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
    expect(await redis.smembers(RETIRING_KEYS)).toEqual([]);
  });
});
