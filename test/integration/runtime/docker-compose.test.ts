import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config.js';
import { projectRoot } from '../../../common/compiled-entry.js';

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

  it('runs three SFU nodes with their own ids, ports and RTC ranges, and a pipeline worker', async () => {
    const { stdout } = await run('docker-compose', ['-f', file, 'config']);
    const nodeIds = [...stdout.matchAll(/LEVELCHAT_NODE_ID: (\S+)/g)].map((m) => m[1]);
    expect(nodeIds).toEqual(['node-1', 'node-2', 'node-3']);
    const ports = [...stdout.matchAll(/^\s+PORT: ['"]?(\d+)['"]?$/gm)].map((m) => m[1]);
    expect(new Set(ports).size).toBe(ports.length);
    const rtcRanges = [...stdout.matchAll(/LEVELCHAT_RTC_MIN_PORT: ['"]?(\d+)/g)].map((m) => Number(m[1]));
    expect(new Set(rtcRanges).size).toBe(3);
    expect(stdout).toMatch(/LEVELCHAT_ROLE: pipeline/);
  });
});
