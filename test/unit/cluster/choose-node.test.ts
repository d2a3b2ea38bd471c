import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseOrigin, chooseViewerNode, DEFAULT_LIMITS, isLoaded, loadScore } from '../../../src/cluster/choose-node.js';
import type { NodeInfo } from '../../../src/cluster/node-registry.js';

const REGIONS = ['eu', 'us', 'ap'];
const limits = DEFAULT_LIMITS;

function node(id: string, region: string, cpu: number, consumers = 0, workers = 1): NodeInfo {
  return { id, region, url: `http://${id}`, rtc_address: '127.0.0.1', workers, load: { cpu, consumers, rooms: 0 }, started_at: '2024-01-01T00:00:00.000Z' };
}

const nodeArb = fc.record({
  region: fc.constantFrom(...REGIONS),
  cpu: fc.double({ min: 0, max: 1, noNaN: true }),
  consumers: fc.integer({ min: 0, max: 3000 }),
  workers: fc.integer({ min: 1, max: 4 }),
});
const nodesArb = fc.array(nodeArb, { minLength: 1, maxLength: 12 }).map((list) => list.map((n, i) => node(`n${i}`, n.region, n.cpu, n.consumers, n.workers)));
const regionArb = fc.option(fc.constantFrom(...REGIONS, 'nowhere'), { nil: null });

describe('choosing an origin', () => {
  it('takes the least loaded node of the hinted region, falling back to any node', () => {
    const nodes = [node('a', 'eu', 0.5), node('b', 'eu', 0.2), node('c', 'us', 0.0)];
    expect(chooseOrigin(nodes, 'eu')?.id).toBe('b');
    expect(chooseOrigin(nodes, 'us')?.id).toBe('c');
    expect(chooseOrigin(nodes, 'ap')?.id).toBe('c');
    expect(chooseOrigin(nodes, null)?.id).toBe('c');
    expect(chooseOrigin([], 'eu')).toBeUndefined();
  });

  it('leaves a region whose nodes are all loaded for a node with room', () => {
    expect(chooseOrigin([node('a', 'eu', 0.95), node('c', 'us', 0.1)], 'eu')?.id).toBe('c');
    expect(chooseOrigin([node('a', 'eu', 0.95), node('b', 'eu', 0.9), node('c', 'us', 0.99)], 'eu')?.id).toBe('b');
  });

  it('counts consumers against the capacity of the workers', () => {
    expect(loadScore(node('a', 'eu', 0.1, 1600, 2), limits)).toBe(0.8);
    expect(isLoaded(node('a', 'eu', 0.1, 1600, 2), limits)).toBe(true);
  });

  it('always returns a live node: the least loaded with room in the region, else anywhere, else the least loaded', () => {
    fc.assert(
      fc.property(nodesArb, regionArb, (nodes, hint) => {
        const chosen = chooseOrigin(nodes, hint)!;
        expect(nodes).toContain(chosen);
        const inRegion = nodes.filter((n) => hint === null || n.region === hint);
        const free = (list: NodeInfo[]) => list.filter((n) => !isLoaded(n, limits));
        const expected = [free(inRegion), free(nodes), inRegion, nodes].find((group) => group.length)!;
        expect(expected).toContain(chosen);
        for (const n of expected) expect(loadScore(chosen, limits)).toBeLessThanOrEqual(loadScore(n, limits));
      }),
    );
  });

  it('is the same choice on every node whatever order the registry lists nodes in', () => {
    fc.assert(
      fc.property(nodesArb, regionArb, (nodes, hint) => {
        expect(chooseOrigin([...nodes].reverse(), hint)?.id).toBe(chooseOrigin(nodes, hint)?.id);
      }),
    );
  });
});

describe('choosing a node for a viewer', () => {
  const origin = node('o', 'us', 0.1);

  it('keeps viewers on the origin while it has room and is in their region', () => {
    const nodes = [origin, node('u2', 'us', 0.0)];
    expect(chooseViewerNode({ nodes, origin, serving: new Set(), viewerRegion: 'us' }).id).toBe('o');
    expect(chooseViewerNode({ nodes, origin, serving: new Set(), viewerRegion: null }).id).toBe('o');
  });

  it('sends viewers to their region, to a node already serving the room first', () => {
    const nodes = [origin, node('e1', 'eu', 0.1), node('e2', 'eu', 0.3)];
    expect(chooseViewerNode({ nodes, origin, serving: new Set(), viewerRegion: 'eu' }).id).toBe('e1');
    expect(chooseViewerNode({ nodes, origin, serving: new Set(['e2']), viewerRegion: 'eu' }).id).toBe('e2');
    expect(chooseViewerNode({ nodes, origin, serving: new Set(), viewerRegion: 'ap' }).id).toBe('o');
  });

  it('moves viewers off a loaded origin, to the least loaded node when all are loaded', () => {
    const loaded = node('o', 'us', 0.9);
    expect(chooseViewerNode({ nodes: [loaded, node('u2', 'us', 0.5)], origin: loaded, serving: new Set(), viewerRegion: 'us' }).id).toBe('u2');
    expect(chooseViewerNode({ nodes: [loaded, node('u2', 'us', 0.95)], origin: loaded, serving: new Set(), viewerRegion: 'us' }).id).toBe('o');
  });

  it('always returns a live node and never leaves the viewer region for a loaded-free one elsewhere', () => {
    fc.assert(
      fc.property(nodesArb, fc.nat(), fc.array(fc.nat()), regionArb, (nodes, o, servingIdx, viewerRegion) => {
        const originNode = nodes[o % nodes.length]!;
        const serving = new Set(servingIdx.map((i) => nodes[i % nodes.length]!.id));
        const chosen = chooseViewerNode({ nodes, origin: originNode, serving, viewerRegion });
        expect(nodes).toContain(chosen);
        const freeNear = nodes.filter((n) => !isLoaded(n, limits) && (viewerRegion === null || n.region === viewerRegion));
        if (freeNear.length) {
          expect(freeNear).toContain(chosen);
          const servingNear = freeNear.filter((n) => serving.has(n.id));
          const originFirst = freeNear.includes(originNode);
          if (!originFirst && servingNear.length) expect(servingNear).toContain(chosen);
        } else if (nodes.some((n) => !isLoaded(n, limits))) {
          expect(isLoaded(chosen, limits)).toBe(false);
        }
      }),
    );
  });
});
