/**
 * At most `perKey` tasks of one key run at once; the others wait their turn, in order. Joins are
 * run in a lane per tenant (the API key that minted the token): a tenant joining many sockets at
 * once takes turns rather than the node's event loop from every other tenant's rooms.
 */
export class KeyedLanes {
  readonly #lanes = new Map<string, { active: number; waiting: (() => void)[] }>();

  constructor(private readonly perKey: number) {}

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let lane = this.#lanes.get(key);
    if (!lane) {
      lane = { active: 0, waiting: [] };
      this.#lanes.set(key, lane);
    }
    // A task that waited takes over the place of the one that finished (active stays the same).
    if (lane.active < this.perKey) lane.active += 1;
    else await new Promise<void>((resolve) => lane.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = lane.waiting.shift();
      if (next) next();
      else if (--lane.active === 0) this.#lanes.delete(key);
    }
  }
}
