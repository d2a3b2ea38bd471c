// Waiting in benches.

/**
 * Resolves after `ms`. Benches pace themselves as `sleep(due - now)`, so a due time already past
 * (a negative wait) means no wait rather than an error or a warning.
 */
export const sleep = (ms: number): Promise<void> => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));
