// Starts one real Redis and one real S3 endpoint for the whole test run, exactly as the stack does
// (Debian's redis-server with AOF; the embedded S3 server over HTTP), and stops them at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { createLogger } from '../../common/logger.js';
import { ChildProcesses } from '../../common/child-processes.js';
import { DataDir } from '../../common/data-dir.js';
import { startEmbeddedRedis } from '../../src/runtime/redis.js';
import { startEmbeddedS3 } from '../../storage/embedded-s3/launch.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    s3: { endpoint: string; accessKey: string; secretKey: string };
  }
}

export default async function setup(project: TestProject) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'levelchat-test-parts-'));
  const logger = createLogger('silent');
  const dataDir = DataDir.acquire(root);
  const children = new ChildProcesses(logger);
  try {
    const redis = await startEmbeddedRedis(children, dataDir, logger);
    const s3 = await startEmbeddedS3(children, dataDir, logger);
    project.provide('redisUrl', redis.url);
    project.provide('s3', s3);
  } catch (err) {
    await children.stopAll();
    throw err;
  }
  return async () => {
    await children.stopAll();
    dataDir.release();
    rmSync(root, { recursive: true, force: true });
  };
}
