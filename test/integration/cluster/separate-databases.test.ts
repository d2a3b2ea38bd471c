import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ClusterBus } from '../../../src/cluster/cluster-bus.js';
import { roomControlChannel } from '../../../src/events/event-keys.js';
import { createLogger } from '../../../common/logger.js';
import { freshRedisDb } from '../../helpers/test-stack.js';

// Clusters that share one Redis server, each on a database of its own (as the test files do, in
// parallel, with the same node ids): Redis pub/sub ignores databases, so every channel carries one.
const opened: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

async function connection(url: string): Promise<Redis> {
  const redis = new Redis(url);
  opened.push({ close: () => redis.quit() });
  return redis;
}

async function busOn(url: string, nodeId: string, answer: string): Promise<ClusterBus> {
  const bus = await ClusterBus.connect(await connection(url), nodeId, createLogger('silent'));
  opened.push(bus);
  bus.on('who', z.unknown(), () => answer);
  return bus;
}

describe('clusters on separate databases of one Redis server', () => {
  it('keep their cluster buses apart, even with the same node ids', async () => {
    const [first, second] = [await freshRedisDb(), await freshRedisDb()];
    await busOn(first, 'twin', 'first cluster');
    await busOn(second, 'twin', 'second cluster');
    const asker = await busOn(first, 'asker', 'asker');
    for (let i = 0; i < 20; i += 1) expect(await asker.request('twin', 'who', {}, z.string())).toBe('first cluster');
  });

  it('keep their room control messages apart', async () => {
    const [first, second] = [await freshRedisDb(), await freshRedisDb()];
    const heard: string[] = [];
    for (const url of [first, second]) {
      const sub = await connection(url);
      sub.on('message', (_channel: string, message: string) => heard.push(`${url}: ${message}`));
      await sub.subscribe(roomControlChannel(sub));
    }
    const publisher = await connection(first);
    await publisher.publish(roomControlChannel(publisher), 'kick');
    await new Promise((r) => setTimeout(r, 100));
    expect(heard).toEqual([`${first}: kick`]);
  });
});
