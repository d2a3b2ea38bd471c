// Number and column formatting shared by the bench reports.

/** A fraction as a percentage. */
export const pct = (x: number, digits = 1): string => `${(x * 100).toFixed(digits)}%`;

/** Packets per second in thousands ("12.8k", "102.2k"). */
export const kpps = (x: number): string => (x >= 10_000 ? `${(x / 1000).toFixed(1)}k` : `${(x / 1000).toFixed(2)}k`);

export function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function lpad(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}
