// The fan-out benches' sizing output: for every measured row, what a viewer costs the workers, and
// the same turned into "viewers of this stream per core". One row is one point of the curve (N
// viewers on W workers with one viewer transport); the fixed per-worker cost shows as a higher CPU
// per viewer at small N.
import { kpps, lpad, pad, pct } from './format.js';

export interface CostPoint {
  /** Viewer transport label: plain, srtp-gcm128, webrtc, ... */
  transport: string;
  /** Where the viewers are: "1 worker", "cascade 2w", "K=2 nodes", ... */
  setup: string;
  workers: number;
  viewers: number;
  /** Packets/s the workers forwarded to viewers in the window. */
  fwdPps: number;
  /** Worker CPU in cores over the window. */
  cores: number;
  /** Packets/s one viewer should get (what the publisher sent). */
  perViewerPps: number;
  meanLoss: number;
  maxLoss: number;
}

export const ppsPerCore = (p: CostPoint): number => (p.cores > 0 ? p.fwdPps / p.cores : 0);
/** Viewers one core serves at 100% busy, at this point's cost per packet and this stream's packet rate. */
export const viewersPerCore = (p: CostPoint): number => (p.perViewerPps > 0 ? ppsPerCore(p) / p.perViewerPps : 0);

export function printCostCurve(points: CostPoint[], stream: string): void {
  console.log(`\n=== Cost curve: what one viewer of ${stream} costs the workers ===`);
  console.log('  pkt/s/core = forwarded pkt/s ÷ worker CPU (cores); µs/pkt = its inverse; CPU/viewer = worker CPU ÷ N;');
  console.log('  viewers/core = pkt/s/core ÷ the packets/s one viewer gets: viewers of this stream one core serves at 100% busy (size at ~80% of it)');
  const head = [
    pad('transport', 12), pad('setup', 12), lpad('workers', 7), lpad('N', 5), lpad('fwd pkt/s', 10), lpad('cores', 6),
    lpad('pkt/s/core', 11), lpad('µs/pkt', 7), lpad('CPU/viewer', 11), lpad('viewers/core', 13), lpad('loss mean', 10), lpad('loss max', 9),
  ].join(' ');
  console.log(head);
  console.log('-'.repeat(head.length));
  for (const p of points) {
    const perCore = ppsPerCore(p);
    console.log(
      [
        pad(p.transport, 12), pad(p.setup, 12), lpad(String(p.workers), 7), lpad(String(p.viewers), 5), lpad(kpps(p.fwdPps), 10), lpad(p.cores.toFixed(2), 6),
        lpad(kpps(perCore), 11), lpad(perCore > 0 ? (1e6 / perCore).toFixed(2) : '—', 7), lpad(pct(p.cores / Math.max(1, p.viewers), 3), 11),
        lpad(viewersPerCore(p).toFixed(0), 13), lpad(pct(p.meanLoss, 2), 10), lpad(pct(p.maxLoss, 2), 9),
      ].join(' '),
    );
  }
}

/**
 * SRTP against plain RTP per core, at each N and setup both were measured at (the same run, rows
 * interleaved): the ratio of viewers per core. When an N is listed more than once (BENCH_VIEWERS=
 * 500,500,500), the k-th plain row pairs with the k-th row of each SRTP suite: the rows measured next
 * to each other, which a shared machine's drift affects alike.
 */
export function srtpVersusPlain(points: CostPoint[]): { setup: string; viewers: number; transport: string; ratio: number }[] {
  const out: { setup: string; viewers: number; transport: string; ratio: number }[] = [];
  const same = (a: CostPoint, b: CostPoint) => a.setup === b.setup && a.viewers === b.viewers;
  const plains = points.filter((p) => p.transport === 'plain');
  for (const [k, plain] of plains.entries()) {
    const nth = plains.slice(0, k).filter((p) => same(p, plain)).length;
    const others = points.filter((p) => p.transport.startsWith('srtp') && same(p, plain));
    for (const transport of new Set(others.map((p) => p.transport))) {
      const other = others.filter((p) => p.transport === transport)[nth];
      const base = viewersPerCore(plain);
      if (other && base > 0) out.push({ setup: plain.setup, viewers: plain.viewers, transport, ratio: viewersPerCore(other) / base });
    }
  }
  return out;
}

/** What one setup served with one viewer transport before loss: the largest N under `maxLoss`, and the next N tried above it. */
export interface Capacity {
  transport: string;
  setup: string;
  /** Largest N whose mean loss stayed under the bound (undefined: every N lost more). */
  held?: CostPoint;
  /** Smallest N above `held` that lost more (undefined: none tried above it lost). */
  lost?: CostPoint;
}

/**
 * Capacity per (setup, transport): the largest N served at mean loss < `maxLoss`, and the first N above
 * it that was not. With the plain-RTP row as base, the SRTP capacity ratio lies between
 * held(srtp) / lost(plain) and lost(srtp) / held(plain): the steps between the N tried bound it.
 */
export function capacities(points: CostPoint[], maxLoss = 0.01): Capacity[] {
  const groups = new Map<string, CostPoint[]>();
  for (const p of points) {
    const key = `${p.setup}\u0000${p.transport}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return [...groups.values()].map((rows) => {
    const sorted = [...rows].sort((a, b) => a.viewers - b.viewers);
    const held = sorted.filter((p) => p.meanLoss < maxLoss).pop();
    const lost = sorted.find((p) => p.meanLoss >= maxLoss && p.viewers > (held?.viewers ?? 0));
    return { transport: rows[0]!.transport, setup: rows[0]!.setup, held, lost };
  });
}

/** The bounds of `other`'s capacity over `base`'s (see capacities); `high` is undefined when `other` never lost. */
export function capacityRatio(base: Capacity, other: Capacity): { low: number; high?: number } | undefined {
  if (!other.held || !base.held || !base.lost) return undefined;
  return { low: other.held.viewers / base.lost.viewers, high: other.lost ? other.lost.viewers / base.held.viewers : undefined };
}
