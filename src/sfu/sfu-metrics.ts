import type { types } from 'mediasoup';
import type { Metrics } from '../../common/metrics.js';
import type { WorkerPool } from './worker-pool.js';

export interface SfuMetricsOptions {
  /** Consumers whose stats one scrape reads at most (their channel requests cost the workers); default 200. */
  consumersPerScrape?: number;
  /** How long a scrape reads stats, and waits for the answers, before it reports the values it has; default 1000 ms. */
  sampleBudgetMs?: number;
}

/**
 * The mediasoup side of /metrics. Routers, transports, producers and consumers are counted through
 * the workers' observers (an event per object created or closed, nothing per packet). Worker CPU and
 * forwarded packets need a request to the worker, so they are read only when Prometheus scrapes, and
 * at a bounded cost: CPU is one request per worker; packets are the consumers' `packetCount`, read
 * for the next consumers in turn (at most `consumersPerScrape`, for at most `sampleBudgetMs`), each
 * adding what it sent since it was last read, so the total trails by a few scrapes, and what a
 * consumer sent after its last read before it closed is not counted. Each worker is asked for one
 * consumer's stats at a time: a saturated worker answers its channel one loop turn at a time (tens
 * of ms), and a burst of requests would hold signaling's own requests (a join's transport) behind
 * it for seconds; this way they wait behind one at most. A scrape waits at most `sampleBudgetMs`
 * and otherwise reports the values it has; at most one round of reads is in flight.
 */
export class SfuMetrics {
  readonly #workers = new Map<types.Worker, { label: string; cpuSeconds: number }>();
  #routers = 0;
  #transports = 0;
  #producers = 0;
  /** Each live consumer: its worker, and the packetCount it had when last read. */
  readonly #consumers = new Map<types.Consumer, { worker: types.Worker; sent: number }>();
  /** Consumers still to read in this turn. */
  #turn: types.Consumer[] = [];
  #forwarded = 0;
  #round: Promise<void> | undefined;
  readonly #perScrape: number;
  readonly #budgetMs: number;

  constructor(options: SfuMetricsOptions = {}) {
    this.#perScrape = options.consumersPerScrape ?? 200;
    this.#budgetMs = options.sampleBudgetMs ?? 1000;
  }

  /** Counts the workers of `pool`, and those that replace them. */
  static forPool(pool: WorkerPool, options?: SfuMetricsOptions): SfuMetrics {
    const sfu = new SfuMetrics(options);
    for (const worker of pool.all) sfu.watch(worker);
    pool.on('worker-replaced', (_dead, replacement) => sfu.watch(replacement));
    return sfu;
  }

  /** Counts `worker` and everything created on it from now on; `label` names it in the CPU metric (default its pool index). */
  watch(worker: types.Worker, label = String((worker.appData as { index?: unknown }).index ?? this.#workers.size)): void {
    this.#workers.set(worker, { label, cpuSeconds: 0 });
    worker.observer.once('close', () => this.#workers.delete(worker));
    worker.observer.on('newrouter', (router) => {
      this.#routers += 1;
      router.observer.once('close', () => (this.#routers -= 1));
      router.observer.on('newtransport', (transport) => this.#watchTransport(transport, worker));
    });
  }

  /** Registers the readers of the SFU metrics. */
  register(metrics: Pick<Metrics, 'sfuWorkers' | 'sfuWorkerCpu' | 'sfuRouters' | 'sfuTransports' | 'sfuProducers' | 'sfuConsumers' | 'sfuForwardedPackets'>): void {
    metrics.sfuWorkers.read((add) => add(this.#workers.size));
    metrics.sfuRouters.read((add) => add(this.#routers));
    metrics.sfuTransports.read((add) => add(this.#transports));
    metrics.sfuProducers.read((add) => add(this.#producers));
    metrics.sfuConsumers.read((add) => add(this.#consumers.size));
    metrics.sfuWorkerCpu.read(async (add) => {
      await this.#sampled();
      for (const { label, cpuSeconds } of this.#workers.values()) add(cpuSeconds, { worker: label });
    });
    metrics.sfuForwardedPackets.read(async (add) => {
      await this.#sampled();
      add(this.#forwarded);
    });
  }

  #watchTransport(transport: types.Transport, worker: types.Worker): void {
    this.#transports += 1;
    transport.observer.once('close', () => (this.#transports -= 1));
    transport.observer.on('newproducer', (producer) => {
      this.#producers += 1;
      producer.observer.once('close', () => (this.#producers -= 1));
    });
    transport.observer.on('newconsumer', (consumer) => {
      this.#consumers.set(consumer, { worker, sent: 0 });
      consumer.observer.once('close', () => this.#consumers.delete(consumer));
    });
  }

  /** The current round of reads (started if none is in flight), or the budget, whichever ends first. */
  async #sampled(): Promise<void> {
    this.#round ??= this.#readRound().finally(() => (this.#round = undefined));
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#budgetMs)));
    await Promise.race([this.#round, budget]);
    clearTimeout(timer);
  }

  async #readRound(): Promise<void> {
    const deadline = performance.now() + this.#budgetMs;
    if (this.#turn.length === 0) this.#turn = [...this.#consumers.keys()];
    const batch = this.#turn.splice(0, this.#perScrape);
    const byWorker = new Map<types.Worker, types.Consumer[]>();
    for (const consumer of batch) {
      const entry = this.#consumers.get(consumer);
      if (entry) byWorker.set(entry.worker, [...(byWorker.get(entry.worker) ?? []), consumer]);
    }
    await Promise.all([
      ...[...this.#workers].map(async ([worker, entry]) => {
        const usage = await worker.getResourceUsage().catch(() => undefined);
        if (usage) entry.cpuSeconds = (usage.ru_utime + usage.ru_stime) / 1000;
      }),
      ...[...byWorker.values()].map(async (consumers) => {
        while (consumers.length > 0 && performance.now() < deadline) await this.#readConsumer(consumers.shift()!);
        // Not read in time: first in the next round.
        this.#turn.unshift(...consumers);
      }),
    ]);
  }

  async #readConsumer(consumer: types.Consumer): Promise<void> {
    const stats = await consumer.getStats().catch(() => undefined);
    const entry = this.#consumers.get(consumer);
    if (!stats || !entry) return;
    const sent = stats.reduce((n, s) => (s.type === 'outbound-rtp' ? n + s.packetCount : n), 0);
    this.#forwarded += Math.max(0, sent - entry.sent);
    entry.sent = sent;
  }
}
