import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeDirectory, NodeRegistry, type NodeInfo, type NodeLoad } from '../../../src/cluster/node-registry.js';
import { Placement } from '../../../src/cluster/placement.js';
import { createLogger } from '../../../common/logger.js';
import { waitFor } from '../../../bench/lib/wait.js';
import { freshRedisDb } from '../../helpers/test-stack.js';

const logger = createLogger('silent');
let url: string;
let directory: NodeDirectory;
const clients: Redis[] = [];
const registries: NodeRegistry[] = [];

function client(): Redis {
  const redis = new Redis(url);
  clients.push(redis);
  return redis;
}

/** A "node": its registry on a Redis connection of its own, with a load the test can change. */
function fakeNode(id: string, region: string, cpu: number, ttlMs = 6000) {
  const load: NodeLoad = { cpu, consumers: 0, rooms: 0 };
  const registry = new NodeRegistry({
    redis: client(),
    node: { id, region, url: `http://${id}.test`, rtc_address: '127.0.0.1', workers: 2 },
    sampleLoad: () => ({ ...load }),
    logger,
    ttlMs,
    intervalMs: Math.min(2000, ttlMs / 3),
  });
  registries.push(registry);
  return { registry, load };
}

beforeAll(async () => {
  url = await freshRedisDb();
  directory = new NodeDirectory(client());
});
afterAll(async () => {
  await Promise.all(registries.map((r) => r.stop().catch(() => {})));
  await Promise.all(clients.map((c) => c.quit()));
});

describe('the node registry and room placement', () => {
  it('lists the live nodes with their load, and forgets a stopped node at once', async () => {
    const eu1 = fakeNode('eu-1', 'eu', 0.4);
    const eu2 = fakeNode('eu-2', 'eu', 0.1);
    const us1 = fakeNode('us-1', 'us', 0.0);
    await Promise.all([eu1, eu2, us1].map((n) => n.registry.start()));

    const nodes = await directory.list();
    expect(nodes.map((n) => [n.id, n.region, n.load.cpu])).toEqual([
      ['eu-1', 'eu', 0.4],
      ['eu-2', 'eu', 0.1],
      ['us-1', 'us', 0],
    ]);
    expect(nodes[0]).toMatchObject({ url: 'http://eu-1.test', rtc_address: '127.0.0.1', workers: 2, load: { consumers: 0, rooms: 0 } });
    expect(Date.parse(nodes[0]!.started_at)).not.toBeNaN();

    // Heartbeats carry fresh load samples.
    eu1.load.cpu = 0.05;
    await eu1.registry.heartbeat();
    expect((await directory.list()).find((n) => n.id === 'eu-1')?.load.cpu).toBe(0.05);

    const extra = fakeNode('extra', 'eu', 0);
    await extra.registry.start();
    expect((await directory.list()).map((n) => n.id)).toContain('extra');
    await extra.registry.stop();
    expect((await directory.list()).map((n) => n.id)).toEqual(['eu-1', 'eu-2', 'us-1']);
  });

  it('places origins in the hinted region (least loaded first), falls back to any node, and keeps the choice', async () => {
    const placement = new Placement(client(), directory);
    expect((await placement.originFor('r_eu', 'eu')).origin.id).toBe('eu-1');
    expect((await placement.originFor('r_us', 'us')).origin.id).toBe('us-1');
    expect((await placement.originFor('r_nowhere', 'ap')).origin.id).toBe('us-1');
    expect((await placement.originFor('r_any', null)).origin.id).toBe('us-1');

    // Load changes move new rooms, never placed ones.
    const other = new Placement(client(), new NodeDirectory(client()));
    expect((await other.originFor('r_eu', 'us')).origin.id).toBe('eu-1');
  });

  it('makes two nodes racing for the same rooms agree, even when they see different loads', async () => {
    // Node A sees eu-2 as the idle one, node B sees eu-1: left alone, they would choose differently.
    const skewed = (idle: string) => ({
      list: async () => (await directory.list()).map((n): NodeInfo => ({ ...n, load: { ...n.load, cpu: n.id === idle ? 0 : 0.5 } })),
    });
    const a = new Placement(client(), skewed('eu-2'));
    const b = new Placement(client(), skewed('eu-1'));
    const rooms = Array.from({ length: 20 }, (_, i) => `r_race-${i}`);
    const results = await Promise.all(rooms.map((room) => Promise.all([a.originFor(room, 'eu'), b.originFor(room, 'eu')])));
    for (const [fromA, fromB] of results) expect(fromA.origin.id).toBe(fromB.origin.id);
    const winners = new Set(results.map(([n]) => n.origin.id));
    expect([...winners].every((id) => id === 'eu-1' || id === 'eu-2')).toBe(true);
  });

  it('sends viewers to their region, gathers them on the edge already serving the room, keeps them home otherwise', async () => {
    const ap1 = fakeNode('ap-1', 'ap', 0.3);
    const ap2 = fakeNode('ap-2', 'ap', 0.2);
    await Promise.all([ap1.registry.start(), ap2.registry.start()]);
    const placement = new Placement(client(), directory);
    expect((await placement.originFor('r_show', 'us')).origin.id).toBe('us-1');

    expect((await placement.nodeForViewer('r_show', 'us', 'us')).id).toBe('us-1');
    expect((await placement.nodeForViewer('r_show', 'us', null)).id).toBe('us-1');
    expect((await placement.nodeForViewer('r_show', 'us', 'ap')).id).toBe('ap-2');
    // ap-1 becomes the idler one, but ap-2 holds the room's producers already.
    ap2.load.cpu = 0.5;
    await ap2.registry.heartbeat();
    expect((await placement.nodeForViewer('r_show', 'us', 'ap')).id).toBe('ap-2');
    await placement.released('r_show', 'ap-2');
    expect((await placement.nodeForViewer('r_show', 'us', 'ap')).id).toBe('ap-1');
    await Promise.all([ap1.registry.stop(), ap2.registry.stop()]);
  });

  it('lets a node that stops heartbeating expire and re-places its rooms, every node agreeing on the new origin', async () => {
    const doomed = fakeNode('sa-1', 'sa', 0, 600);
    await doomed.registry.heartbeat(); // registered once, then "crashes": no more heartbeats
    const a = new Placement(client(), directory);
    const b = new Placement(client(), new NodeDirectory(client()));
    expect((await a.originFor('r_doomed', 'sa')).origin.id).toBe('sa-1');
    expect((await b.originFor('r_doomed', 'sa')).origin.id).toBe('sa-1');

    await waitFor(async () => !(await directory.list()).some((n) => n.id === 'sa-1'), { what: 'sa-1 expires', timeoutMs: 5000 });
    const [fromA, fromB] = await Promise.all([a.originFor('r_doomed', 'sa'), b.originFor('r_doomed', 'sa')]);
    expect(fromA.origin.id).toBe(fromB.origin.id);
    expect(fromA.origin.id).toBe('us-1'); // no node left in sa: the least loaded anywhere
    expect((await a.originFor('r_doomed', 'sa')).origin.id).toBe('us-1');
  });
});
