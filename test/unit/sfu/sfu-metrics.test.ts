import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../../common/metrics.js';
import { SfuMetrics } from '../../../src/sfu/sfu-metrics.js';
import { Scrape } from '../../helpers/prometheus-scrape.js';

// SfuMetrics against stand-ins for mediasoup's objects (observers are EventEmitters): what it counts,
// and the bounds on what a scrape asks of a worker.

class FakeConsumer {
  readonly observer = new EventEmitter();
  packets = 0;
  /** Set to make getStats hang (a saturated worker). */
  stalled = false;
  constructor(private readonly worker: FakeWorker) {}
  async getStats() {
    const w = this.worker;
    w.inFlight += 1;
    w.maxInFlight = Math.max(w.maxInFlight, w.inFlight);
    w.statsRequests += 1;
    if (this.stalled) await new Promise(() => {});
    await new Promise((r) => setTimeout(r, 1));
    w.inFlight -= 1;
    return [{ type: 'outbound-rtp', packetCount: this.packets }, { type: 'inbound-rtp', packetCount: 999_999 }];
  }
}

class FakeWorker {
  readonly observer = new EventEmitter();
  readonly appData = { index: 0 };
  inFlight = 0;
  maxInFlight = 0;
  statsRequests = 0;
  cpuMs = 1500;
  async getResourceUsage() {
    return { ru_utime: this.cpuMs, ru_stime: 500 };
  }

  /** A router with one transport holding `consumers` consumers and one producer. */
  room(consumers: number) {
    const router = { observer: new EventEmitter() };
    const transport = { observer: new EventEmitter() };
    this.observer.emit('newrouter', router);
    router.observer.emit('newtransport', transport);
    transport.observer.emit('newproducer', { observer: new EventEmitter() });
    const list = Array.from({ length: consumers }, () => new FakeConsumer(this));
    for (const c of list) transport.observer.emit('newconsumer', c);
    return { router, transport, consumers: list };
  }
}

function setUp(options: ConstructorParameters<typeof SfuMetrics>[0]) {
  const worker = new FakeWorker();
  const sfu = new SfuMetrics(options);
  sfu.watch(worker as unknown as types.Worker);
  const metrics = new Metrics({ nodeDefaults: false });
  sfu.register(metrics);
  return { worker, scrape: async () => new Scrape((await metrics.render()).text) };
}

describe('SfuMetrics', () => {
  it('counts mediasoup objects through the observers, and forgets closed ones', async () => {
    const { worker, scrape } = setUp({});
    const room = worker.room(3);
    let s = await scrape();
    expect([s.value('levelchat_sfu_workers'), s.value('levelchat_sfu_routers'), s.value('levelchat_sfu_transports'), s.value('levelchat_sfu_producers'), s.value('levelchat_sfu_consumers')]).toEqual([1, 1, 1, 1, 3]);
    expect(s.value('levelchat_sfu_worker_cpu_seconds_total', { worker: '0' })).toBe(2);
    room.consumers[0]!.observer.emit('close');
    room.transport.observer.emit('close');
    room.router.observer.emit('close');
    s = await scrape();
    expect([s.value('levelchat_sfu_routers'), s.value('levelchat_sfu_transports'), s.value('levelchat_sfu_consumers')]).toEqual([0, 0, 2]);
    worker.observer.emit('close');
    expect((await scrape()).value('levelchat_sfu_workers')).toBe(0);
  });

  it('reads consumers in turns, one request at a time per worker, adding what each sent since its last read', async () => {
    const { worker, scrape } = setUp({ consumersPerScrape: 3 });
    const { consumers } = worker.room(5);
    consumers.forEach((c, i) => (c.packets = 100 * (i + 1)));
    // First turn: the first three consumers (100 + 200 + 300).
    expect((await scrape()).value('levelchat_sfu_forwarded_packets_total')).toBe(600);
    // The other two (400 + 500), then the first three again with what they sent since.
    expect((await scrape()).value('levelchat_sfu_forwarded_packets_total')).toBe(1500);
    for (const c of consumers) c.packets += 10;
    expect((await scrape()).value('levelchat_sfu_forwarded_packets_total')).toBe(1530);
    expect(worker.maxInFlight).toBe(1);
    expect(worker.statsRequests).toBe(8);
  });

  it('answers within its budget when a worker does not, with the values it has, and keeps one round in flight', async () => {
    const { worker, scrape } = setUp({ consumersPerScrape: 10, sampleBudgetMs: 50 });
    const { consumers } = worker.room(2);
    consumers[0]!.packets = 70;
    expect((await scrape()).value('levelchat_sfu_forwarded_packets_total')).toBe(70 + 0);
    consumers[1]!.packets = 5;
    consumers[0]!.stalled = true;
    const t0 = performance.now();
    const stalled = await scrape();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(stalled.value('levelchat_sfu_forwarded_packets_total')).toBe(70);
    // The stalled round is still waiting on its one request: no second round piles more on the worker.
    const requests = worker.statsRequests;
    await scrape();
    expect(worker.statsRequests).toBe(requests);
    expect(worker.inFlight).toBe(1);
  });
});
