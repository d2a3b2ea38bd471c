// Order statistics for bench reports: nearest-rank percentiles, so a reported p99 is a latency that
// was actually measured (never an interpolation between two) and the benches' figures compare.

/**
 * Nearest-rank percentile of `sorted` (ascending), `q` in 0..1: the smallest value with at least
 * q of all values at or below it; `q` 1 is the maximum. NaN when there are no values.
 */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * The values in ascending order, as `percentile` wants them, in a new array (the input is left as
 * it was). A Float64Array sorts numerically by default and fast, which matters for the tens of
 * thousands of latencies a load phase collects.
 */
export function ascending(values: Iterable<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** A series at a glance, as the browser benches print it; min and max are undefined when it is empty. */
export interface Spread {
  n: number;
  p50: number;
  p95: number;
  min: number | undefined;
  mean: number;
  max: number | undefined;
}

export function spread(values: Iterable<number>): Spread {
  const sorted = ascending(values);
  const n = sorted.length;
  return {
    n,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    min: sorted[0],
    // Summed in ascending order, small values first.
    mean: sorted.reduce((a, b) => a + b, 0) / (n || 1),
    max: sorted[n - 1],
  };
}
