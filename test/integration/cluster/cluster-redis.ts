import { inject } from 'vitest';
import { Redis } from 'ioredis';

/** A Redis database of the shared test Redis for this file alone (the same allocation as test stacks). */
export async function freshRedisDb(): Promise<string> {
  const base = inject('redisUrl');
  const counter = new Redis(base);
  const db = 1 + ((await counter.incr('test:db-counter')) % 62);
  await counter.quit();
  const url = `${base}/${db}`;
  const admin = new Redis(url);
  await admin.flushdb();
  await admin.quit();
  return url;
}
