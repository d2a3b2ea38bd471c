import type { Redis } from 'ioredis';

/**
 * Pub/sub channel `name` of the database `redis` works in. Redis pub/sub ignores databases, so
 * every channel carries its database: clusters sharing one server, each on a database of its own
 * (as the tests run), never hear each other's messages.
 */
export function channelFor(redis: Redis, name: string): string {
  return `lc:${redis.options.db ?? 0}:${name}`;
}
