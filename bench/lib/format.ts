// Number and column formatting shared by the bench reports.

/** A fraction as a percentage. */
export const pct = (x: number, digits = 1): string => `${(x * 100).toFixed(digits)}%`;

/** Packets per second in thousands ("12.8k", "102.2k"). */
export const kpps = (x: number): string => (x >= 10_000 ? `${(x / 1000).toFixed(1)}k` : `${(x / 1000).toFixed(2)}k`);

/** Bytes in MiB ("412 MiB", or "411.7 MiB" with `digits` 1). */
export const mib = (bytes: number, digits = 0): string => `${(bytes / 1048576).toFixed(digits)} MiB`;

/**
 * A latency in ms with the digits that still mean something at its size ("0.84", "12.3", "250"),
 * "n/a" for NaN (no sample).
 */
export const latencyMs = (v: number): string => (Number.isNaN(v) ? 'n/a' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));

export function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function lpad(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}
