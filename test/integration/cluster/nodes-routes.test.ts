import { clientAddress } from '../../../common/client-address.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from '../../../src/api/authenticate.js';
import { jsonBody } from '../../../src/api/json-body.js';
import { createRegistry, openApiDocument } from '../../../src/api/openapi.js';
import { problemHandler } from '../../../src/api/problem-handler.js';
import { RateLimiter } from '../../../src/api/rate-limiter.js';
import { ApiKeyStore } from '../../../src/auth/api-key-store.js';
import { formatApiKey, generateApiKey } from '../../../src/auth/api-key.js';
import { NodeDirectory, NodeRegistry } from '../../../src/cluster/node-registry.js';
import { nodeRoutes } from '../../../src/api/routes/nodes.js';
import { createLogger } from '../../../common/logger.js';
import { freshRedisDb } from '../../helpers/test-stack.js';

const operatorKey = formatApiKey(generateApiKey());
let redis: Redis;
let registry: NodeRegistry;
let server: http.Server;
let base: string;
let document: ReturnType<typeof openApiDocument>;
let tenantKey: string;

beforeAll(async () => {
  redis = new Redis(await freshRedisDb());
  registry = new NodeRegistry({
    redis,
    node: { id: 'node-a', region: 'eu', url: 'http://node-a.test', rtc_address: '10.0.0.1', workers: 4 },
    sampleLoad: () => ({ cpu: 0.25, consumers: 12, rooms: 3, bitrate: 2_000_000 }),
    logger: createLogger('silent'),
  });
  await registry.start();
  const keys = new ApiKeyStore(redis, [operatorKey]);
  const operator = await keys.authenticate(operatorKey);
  tenantKey = (await keys.create(operator!.id, 'tenant')).key;

  // Mounted the way src/api/app.ts mounts every REST router.
  const openapi = createRegistry();
  const api = express.Router();
  api.use(jsonBody);
  api.use(authenticate(keys, { perTree: new RateLimiter(1000, 1000), failuresPerAddress: new RateLimiter(1000, 1000), addressOf: clientAddress([]) }));
  api.use(nodeRoutes(new NodeDirectory(redis), openapi));
  document = openApiDocument(openapi);
  const app = express();
  app.use('/v1', api);
  app.use(problemHandler(() => {}));
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await registry.stop();
  await redis.quit();
});

const get = (key?: string) => fetch(`${base}/v1/nodes`, key ? { headers: { authorization: `Bearer ${key}` } } : {});

describe('GET /v1/nodes', () => {
  it('lists the live nodes for an operator key', async () => {
    const res = await get(operatorKey);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      nodes: [
        {
          id: 'node-a',
          region: 'eu',
          url: 'http://node-a.test',
          rtc_address: '10.0.0.1',
          workers: 4,
          load: { cpu: 0.25, consumers: 12, rooms: 3, bitrate: 2_000_000 },
          started_at: expect.any(String),
        },
      ],
    });
  });

  it('answers problem+json without a key (401) and to a tenant key (403 operator_only)', async () => {
    const anonymous = await get();
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const tenant = await get(tenantKey);
    expect(tenant.status).toBe(403);
    expect(await tenant.json()).toMatchObject({ code: 'operator_only', status: 403 });
  });

  it('is documented in the OpenAPI document', () => {
    const op = (document.paths as Record<string, any>)['/v1/nodes']?.get;
    expect(op.security).toEqual([{ apiKey: [] }]);
    expect(Object.keys(op.responses).sort()).toEqual(['200', '401', '403']);
  });
});
