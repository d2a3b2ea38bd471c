// How benches print: lines on stdout, where the report goes, so progress and results of a saved run
// read in the order they happened.

/** One line on stdout (an empty one without `line`). */
export const log = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

/**
 * A log whose lines carry the seconds since it was made ("[  12.3s] …", or "[cluster-fanout  12.3s] …"
 * with a `prefix` and `width` 5), for benches whose phases take minutes: the stamps show where the
 * time went.
 */
export function stampedLog(prefix = '', width = 6): (msg: string) => void {
  const t0 = Date.now();
  return (msg) => log(`[${prefix}${((Date.now() - t0) / 1000).toFixed(1).padStart(width)}s] ${msg}`);
}
