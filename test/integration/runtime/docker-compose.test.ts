import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config.js';
import { projectRoot } from '../../../common/compiled-entry.js';

const execFileAsync = promisify(execFile);
// The secrets compose requires (it has no working defaults); any values do for validating the file.
const SECRETS = { REDIS_PASSWORD: 'test0redis0password', MINIO_ROOT_USER: 'test-user', MINIO_ROOT_PASSWORD: 'test-minio-password' };
const run = (command: string, args: string[], secrets: Record<string, string> = SECRETS) => execFileAsync(command, args, { env: { PATH: process.env.PATH, ...secrets } });

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

  it('refuses to start without the secrets, and locks Redis and the pipes between nodes (issue 17)', async () => {
    for (const missing of Object.keys(SECRETS)) {
      const partial = Object.fromEntries(Object.entries(SECRETS).filter(([name]) => name !== missing));
      await expect(run('docker-compose', ['-f', file, 'config', '-q'], partial)).rejects.toThrow(new RegExp(`set ${missing}`));
    }
    const { stdout } = await run('docker-compose', ['-f', file, 'config']);
    expect(stdout).toMatch(/--requirepass\s+- test0redis0password/);
    expect(stdout).toContain('REDIS_URL: redis://:test0redis0password@127.0.0.1:6379');
    expect(stdout).not.toContain('levelchat-secret');
    expect([...stdout.matchAll(/LEVELCHAT_PIPE_SRTP: ['"]?true/g)]).toHaveLength(4);
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
