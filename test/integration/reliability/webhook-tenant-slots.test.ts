// The per-tenant delivery slots behind the webhook-flood row (src/webhooks/tenant-slots.ts), on a
// real Redis: what is queued, what is parked, who is handed a freed slot, and what a dead node's
// slots become.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantSlots, type ParkedEntry } from '../../../src/webhooks/tenant-slots.js';
import { webhookRoomQueue } from '../../../src/events/event-keys.js';
import { sleep } from '../../../bench/lib/wait.js';
import { freshRedisDb } from '../../helpers/test-stack.js';

let redis: Redis;
beforeAll(async () => {
  redis = new Redis(await freshRedisDb());
});
afterAll(() => redis.quit());

const delivery = (n: number, prior = 0) => {
  const entry: ParkedEntry = { job: `d-wh_${n}-evt_${n}`, queue: webhookRoomQueue(`wh_${n}`, 'r_x'), event: `evt_${n}`, prior };
  return { jobId: entry.job, entry };
};

describe('webhook tenant slots', () => {
  it('queues up to the limit, parks the rest, and hands each freed slot to the oldest parked', async () => {
    const slots = new TenantSlots(redis, { limit: 2, leaseMs: 60_000 });
    const first = await slots.admit('t1', [delivery(1), delivery(2), delivery(3)]);
    expect(first).toEqual({ taken: [true, true, false], handed: [] });
    expect((await slots.admit('t1', [delivery(4)])).taken).toEqual([false]);
    // Parking the same new head again (a resume after a restart) changes nothing.
    expect((await slots.admit('t1', [delivery(3)])).taken).toEqual([false]);
    expect(await slots.load('t1')).toEqual({ inFlight: 2, parked: 2 });
    // Another tenant is not counted against this one.
    expect((await slots.admit('t2', [delivery(9)])).taken).toEqual([true]);

    expect(await slots.release('t1', delivery(1).jobId)).toEqual([delivery(3).entry]);
    expect(await slots.release('t1', delivery(2).jobId)).toEqual([delivery(4).entry]);
    // The handed ones hold their slots: a job handed a slot may attempt.
    expect((await slots.acquire('t1', delivery(3).jobId, delivery(3, 1).entry)).ok).toBe(true);
    expect(await slots.release('t1', delivery(3).jobId)).toEqual([]);
    expect(await slots.load('t1')).toEqual({ inFlight: 1, parked: 0 });
  });

  it('a retry that finds no slot is parked with its attempts made, behind those parked before it', async () => {
    const slots = new TenantSlots(redis, { limit: 1, leaseMs: 60_000 });
    await slots.admit('t3', [delivery(10), delivery(11)]);
    const retry = { job: 'd-wh_12-evt_12-r3-abc', queue: webhookRoomQueue('wh_12', 'r_x'), event: 'evt_12', prior: 3 };
    expect(await slots.acquire('t3', 'd-wh_12-evt_12', retry)).toEqual({ ok: false, handed: [] });
    expect(await slots.release('t3', delivery(10).jobId)).toEqual([delivery(11).entry]);
    expect(await slots.release('t3', delivery(11).jobId)).toEqual([retry]);
  });

  it("a dead node's slots come free when their lease ends, and go to the parked first", async () => {
    const slots = new TenantSlots(redis, { limit: 1, leaseMs: 200 });
    expect((await slots.admit('t4', [delivery(20), delivery(21)])).taken).toEqual([true, false]);
    await sleep(300);
    // Nobody released delivery 20 (its node died); the next call finds its lease over.
    const later = await slots.admit('t4', [delivery(22)]);
    expect(later).toEqual({ taken: [false], handed: [delivery(21).entry] });
  });
});
