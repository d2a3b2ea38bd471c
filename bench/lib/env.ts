// Bench settings from the environment: fail loudly on a value that is not what the bench expects.

/** A number from `name` that passes `ok` (described by `what` in the error), or `fallback` when unset or empty. */
function envNumberThat(name: string, fallback: number, ok: (n: number) => boolean, what: string): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || !ok(n)) throw new Error(`${name}=${raw} is not ${what}`);
  return n;
}

/** A positive number from `name`, or `fallback` when unset or empty. */
export function envNumber(name: string, fallback: number): number {
  return envNumberThat(name, fallback, (n) => n > 0, 'a positive number');
}

/** A number ≥ 0 from `name`, or `fallback` when unset or empty: for counts and durations where 0 skips a phase. */
export function envCount(name: string, fallback: number): number {
  return envNumberThat(name, fallback, (n) => n >= 0, 'a non-negative number');
}

/** A comma list of positive integers from `name` (else `fallback`, same format), ascending; others are dropped. */
export function envIntList(name: string, fallback: string): number[] {
  return (process.env[name] ?? fallback)
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((a, b) => a - b);
}
