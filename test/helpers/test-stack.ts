import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { Redis } from 'ioredis';
import { formatApiKey, generateApiKey } from '../../src/auth/api-key.js';
import { loadConfig } from '../../src/config.js';
import { createLogger, type Logger } from '../../common/logger.js';
import { Stack, type StackTuning } from '../../src/runtime/stack.js';
import type { RetryPolicy } from '../../src/webhooks/webhook-dispatcher.js';

export const FAST_RETRY: RetryPolicy = { attempts: 36, baseDelayMs: 100, maxDelayMs: 400, timeoutMs: 2000 };

export interface TestStack {
  stack: Stack;
  url: string;
  apiKey: string;
  redisUrl: string;
  /** fetch against the stack with the API key (JSON body when `json` is given). */
  api(path: string, init?: { method?: string; json?: unknown; key?: string | null; headers?: Record<string, string>; body?: string }): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * The URL of an emptied database of the shared test Redis, for one stack or one cluster of nodes:
 * databases 1-62 go round; 63 is for tests that use Redis without a stack.
 */
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

/**
 * A whole node on the shared test Redis and S3, on a random port, in a Redis database of its own
 * so its queues and keys never meet another test file's.
 */
export async function startTestStack(
  options: {
    env?: Record<string, string>;
    tuning?: StackTuning;
    /** Restart on another stack's Redis db, with its key. */
    after?: TestStack;
    /** More config keys (roots of key trees of their own: other tenants) beside `apiKey`. */
    extraApiKeys?: string[];
    /** Where the node logs (silent, or TEST_LOG_LEVEL, unless a test reads the log). */
    logger?: Logger;
  } = {},
): Promise<TestStack> {
  const redisUrl = options.after ? options.after.redisUrl : await freshRedisDb();
  const db = redisUrl.split('/').pop();

  const apiKey = options.after?.apiKey ?? formatApiKey(generateApiKey());
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'levelchat-test-stack-'));
  const s3 = inject('s3');
  const config = loadConfig({
    PORT: '0',
    LEVELCHAT_WORKERS: '1',
    LEVELCHAT_DATA_DIR: dataDir,
    REDIS_URL: redisUrl,
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    S3_BUCKET: `test-db${db}`,
    LEVELCHAT_API_KEYS: [apiKey, ...(options.extraApiKeys ?? [])].join(','),
    // A development setting: the tests' webhook receivers listen on 127.0.0.1. The tests of the
    // destination guard turn it off.
    LEVELCHAT_WEBHOOK_ALLOW_PRIVATE: 'true',
    // Tests send bursts on purpose; the rate-limit tests set their own limits.
    LEVELCHAT_RATE_LIMIT_RPS: '100000',
    LEVELCHAT_RATE_LIMIT_BURST: '100000',
    // Every test client connects from 127.0.0.1; the signaling abuse tests set their own limits.
    LEVELCHAT_SIGNALING_SOCKETS_PER_ADDRESS: '100000',
    LEVELCHAT_SIGNALING_UNJOINED_PER_ADDRESS: '100000',
    LEVELCHAT_SIGNALING_CONNECTS_PER_ADDRESS: '100000',
    ...options.env,
  });
  const stack = await Stack.start(config, options.logger ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'), { webhookRetryPolicy: FAST_RETRY, ...options.tuning });
  const url = stack.summary.url;
  return {
    stack,
    url,
    apiKey,
    redisUrl,
    api(path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      const key = init.key === undefined ? apiKey : init.key;
      if (key) headers.authorization = `Bearer ${key}`;
      let body = init.body;
      if (init.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(init.json);
      }
      return fetch(`${url}${path}`, { method: init.method ?? 'GET', headers, ...(body !== undefined ? { body } : {}) });
    },
    async stop() {
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A response body as JSON, untyped: tests assert its shape. */
export async function readJson(res: Response): Promise<any> {
  return res.json();
}

/** Forwards to whatever `current()` is when used (methods bound to it). */
export function lateBound<T extends object>(current: () => T | undefined, what: string): T {
  return new Proxy({} as T, {
    get(_target, key) {
      const value = current();
      if (!value) throw new Error(`${what} is used before beforeAll started it`);
      const member = Reflect.get(value, key, value) as unknown;
      return typeof member === 'function' ? (member as (...args: unknown[]) => unknown).bind(value) : member;
    },
  });
}

/**
 * One node (and a Redis client on its database) for the whole test file: started in beforeAll,
 * stopped in afterAll. Use the returned objects only inside tests and hooks.
 */
export function useTestStack(options: Parameters<typeof startTestStack>[0] = {}): { t: TestStack; redis: Redis } {
  let stack: TestStack | undefined;
  let redis: Redis | undefined;
  beforeAll(async () => {
    stack = await startTestStack(options);
    redis = new Redis(stack.redisUrl);
  });
  afterAll(async () => {
    await redis?.quit();
    await stack?.stop();
  });
  return { t: lateBound(() => stack, 'the test stack'), redis: lateBound(() => redis, 'the test Redis client') };
}
