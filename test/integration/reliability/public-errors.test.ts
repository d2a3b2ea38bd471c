import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../../common/logger.js';
import { freePort } from '../../../common/free-port.js';
import { healthRoutes } from '../../../src/api/health-routes.js';
import { connectRedis } from '../../../src/runtime/redis.js';
import { ObjectStore } from '../../../storage/object-store.js';

// Issue 17, row 13: /readyz is public. It says which part is down, never how (no addresses, errno
// codes or library messages an attacker could map the back end with); the reason goes to the logs.
describe('public error bodies', () => {
  let redis: Redis;
  let url: string;
  let server: ReturnType<ReturnType<typeof express>['listen']>;
  const logged: string[] = [];

  beforeAll(async () => {
    redis = await connectRedis(inject('redisUrl'));
    const deadPort = await freePort();
    const store = new ObjectStore({ endpoint: `http://127.0.0.1:${deadPort}`, accessKey: 'k', secretKey: 'secret-key', bucket: 'nowhere', region: 'us-east-1' });
    const logger = createLogger('warn', new Writable({ write: (chunk, _enc, done) => (logged.push(String(chunk)), done()) }));
    server = express().use(healthRoutes({ redis, store, logger })).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await redis.quit();
  });

  it('/readyz names the part that is down without its error, which is logged', async () => {
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ ok: false, redis: { ok: true }, storage: { ok: false, error: 'unavailable' } });
    expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|connect/);
    expect(logged.join('\n')).toMatch(/readiness check failed/);
  });
});
