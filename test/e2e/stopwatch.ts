/** A log for a long E2E test: each line "[name] what at +12.3 s", counted from this call, shows where the time went. */
export function stopwatch(name: string): (what: string) => void {
  const t0 = Date.now();
  return (what) => console.log(`[${name}] ${what} at +${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
