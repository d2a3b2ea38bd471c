import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config.js';
import { projectRoot } from '../../src/runtime/compiled-entry.js';

const run = promisify(execFile);

describe('docker-compose.yml', () => {
  const file = path.join(projectRoot(), 'docker-compose.yml');

  it('is valid for Debian\'s docker-compose (config -q)', async () => {
    await expect(run('docker-compose', ['-f', file, 'config', '-q'])).resolves.toBeDefined();
  });

  it('runs redis with AOF, minio with its bucket, and LevelChat with known variables only', async () => {
    const { stdout } = await run('docker-compose', ['-f', file, 'config']);
    expect(stdout).toContain('--appendonly');
    expect(stdout).toContain('mc mb --ignore-existing local/levelchat');
    // The bucket stays private (MinIO's default): objects are read with credentials or presigned URLs only.
    expect(stdout).not.toMatch(/mc (anonymous|policy) set/);
    const names = [...stdout.matchAll(/^\s+(?:"?)([A-Z][A-Z0-9_]+)(?:"?):/gm)].map((m) => m[1]!);
    const levelchatVars = names.filter((n) => /^(LEVELCHAT_|S3_|REDIS_URL|PORT|LOG_LEVEL)/.test(n));
    expect(levelchatVars.length).toBeGreaterThan(5);
    for (const name of levelchatVars) expect(Object.keys(configSchema.shape)).toContain(name);
  });
});
