/**
 * `promise`, or a rejection naming `what` once `ms` have passed (the promise itself runs on). `code`,
 * when given, is the rejection's `code`, for callers that tell errors apart by it (DNS: ETIMEOUT).
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string, code?: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} timed out after ${ms} ms`), code ? { code } : {})), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
