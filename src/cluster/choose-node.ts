import type { NodeInfo } from './node-registry.js';

/** When a node counts as loaded: placement sends new work elsewhere if it can. */
export interface LoadLimits {
  /** Consumers one worker takes at full load. */
  consumersPerWorker: number;
  /** Load score (0-1) from which a node is loaded. */
  loadedAt: number;
}

export const DEFAULT_LIMITS: LoadLimits = { consumersPerWorker: 1000, loadedAt: 0.8 };

/** 0 idle, 1 full: the busier of CPU and consumer capacity. */
export function loadScore(node: NodeInfo, limits: LoadLimits): number {
  const capacity = Math.max(1, node.workers) * limits.consumersPerWorker;
  return Math.max(node.load.cpu, node.load.consumers / capacity);
}

export function isLoaded(node: NodeInfo, limits: LoadLimits): boolean {
  return loadScore(node, limits) >= limits.loadedAt;
}

/** The least loaded node; ties go to the smaller id so every node makes the same choice. */
export function leastLoaded(nodes: readonly NodeInfo[], limits: LoadLimits): NodeInfo | undefined {
  let best: NodeInfo | undefined;
  for (const node of nodes) {
    if (!best) best = node;
    else {
      const diff = loadScore(node, limits) - loadScore(best, limits);
      if (diff < 0 || (diff === 0 && node.id < best.id)) best = node;
    }
  }
  return best;
}

/** The least loaded node of the first non-empty group: groups are preferences, best first. */
function pick(groups: readonly (readonly NodeInfo[])[], limits: LoadLimits): NodeInfo | undefined {
  for (const group of groups) if (group.length) return leastLoaded(group, limits);
  return undefined;
}

/**
 * A room's origin: the least loaded node of the hinted region that is not loaded, else any node
 * that is not loaded, else the least loaded of the region, else of all. Undefined: no live node.
 */
export function chooseOrigin(nodes: readonly NodeInfo[], regionHint: string | null, limits: LoadLimits = DEFAULT_LIMITS): NodeInfo | undefined {
  const inRegion = regionHint === null ? nodes : nodes.filter((n) => n.region === regionHint);
  const free = (list: readonly NodeInfo[]) => list.filter((n) => !isLoaded(n, limits));
  return pick([free(inRegion), free(nodes), inRegion, nodes], limits);
}

export interface ViewerChoice {
  nodes: readonly NodeInfo[];
  origin: NodeInfo;
  /** Nodes that already serve the room (they hold its producers already). */
  serving: ReadonlySet<string>;
  viewerRegion: string | null;
}

/**
 * Where a viewer joins: the origin while it has room and is in the viewer's region; else a node of
 * the viewer's region (one already serving the room first); else the origin or any node with room;
 * when every node is loaded, the least loaded one.
 */
export function chooseViewerNode({ nodes, origin, serving, viewerRegion }: ViewerChoice, limits: LoadLimits = DEFAULT_LIMITS): NodeInfo {
  const free = nodes.filter((n) => !isLoaded(n, limits));
  const originFree = free.filter((n) => n.id === origin.id);
  const near = viewerRegion === null ? free : free.filter((n) => n.region === viewerRegion);
  const isServing = (n: NodeInfo) => serving.has(n.id);
  const chosen = pick(
    [
      viewerRegion === null || origin.region === viewerRegion ? originFree : [],
      near.filter(isServing),
      near,
      originFree,
      free.filter(isServing),
      free,
      nodes,
    ],
    limits,
  );
  return chosen ?? origin;
}
