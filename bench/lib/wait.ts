// Waiting in benches and tests: a plain pause, and polling until something holds. The tests share
// it with bench/lib's browser kit, which polls the harness page with it.

/**
 * Resolves after `ms`. Benches pace themselves as `sleep(due - now)`, so a due time already past
 * (a negative wait) means no wait rather than an error or a warning.
 */
export const sleep = (ms: number): Promise<void> => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** Polls `fn` until it returns something truthy; fails after `timeoutMs`, naming `what`. */
export async function waitFor<T>(fn: () => T | Promise<T>, { timeoutMs = 10_000, intervalMs = 50, what = 'condition' } = {}): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
