import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../../common/logger.js';
import { freePort } from '../../../common/free-port.js';
import { healthRoutes } from '../../../src/api/health-routes.js';
import { staticRoutes } from '../../../src/api/static-routes.js';
import { connectRedis } from '../../../src/runtime/redis.js';
import { ObjectStore } from '../../../storage/object-store.js';

// Issue 17, row 13: what anyone can reach without a key. /readyz says which part is down, never how
// (no addresses, errno codes or library messages to map the back end with; the reason is logged).
// The console, which holds an API key, runs under a strict CSP.
describe('the public surface', () => {
  let redis: Redis;
  let url: string;
  let server: ReturnType<ReturnType<typeof express>['listen']>;
  const logged: string[] = [];

  beforeAll(async () => {
    redis = await connectRedis(inject('redisUrl'));
    const deadPort = await freePort();
    const store = new ObjectStore({ endpoint: `http://127.0.0.1:${deadPort}`, accessKey: 'k', secretKey: 'secret-key', bucket: 'nowhere', region: 'us-east-1' });
    const logger = createLogger('warn', new Writable({ write: (chunk, _enc, done) => (logged.push(String(chunk)), done()) }));
    server = express().use(healthRoutes({ redis, store, logger })).use(staticRoutes()).listen(0, '127.0.0.1');
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

  it('serves the console with a CSP that allows no inline or foreign script, framing or referrer', async () => {
    for (const page of ['/', '/harness.html']) {
      const res = await fetch(`${url}${page}`);
      expect(res.status).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });
});
