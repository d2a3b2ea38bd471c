import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { isAlive } from '../../../common/process-table.js';
import { redactUrl } from '../../../src/runtime/redis.js';
import { freePort } from '../../../common/free-port.js';
import { startServerProcess } from '../../helpers/server-process.js';
import { tempDir } from '../../helpers/temp-dir.js';

function childPids(dataDir: string): number[] {
  const run = path.join(dataDir, 'run');
  return readdirSync(run)
    .filter((f) => f.endsWith('.child.pid'))
    .map((f) => Number(readFileSync(path.join(run, f), 'utf8')));
}

async function waitGone(pids: number[], ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (pids.every((p) => !isAlive(p))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('the server process (as npm start runs it)', () => {
  it('starts embedded Redis and S3, serves /healthz and /readyz, and stops everything within 5 s of SIGTERM', async () => {
    const dataDir = tempDir();
    const server = startServerProcess({ PORT: '0', LEVELCHAT_DATA_DIR: dataDir, LEVELCHAT_WORKERS: '2' });
    const url = await server.ready;
    expect(server.stderr()).toMatch(/redis\s+: embedded redis:\/\/\*\*\*@127\.0\.0\.1:\d+/);
    expect(server.stderr()).toMatch(/storage\s+: embedded http:\/\/127\.0\.0\.1:\d+/);
    expect(server.stderr()).toContain(`data dir : ${dataDir}`);

    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true, redis: { ok: true }, storage: { ok: true }, workers: { ok: true, count: 2 } });

    // No LEVELCHAT_API_KEYS: a development key is generated, printed, kept in the data dir and works.
    const devKey = /API key  : (lc_pk_\S+)/.exec(server.stderr())?.[1];
    expect(devKey).toBe(readFileSync(path.join(dataDir, 'dev-api-key'), 'utf8').trim());
    expect(server.stdout()).not.toContain(devKey!);
    expect((await fetch(`${url}/v1/rooms`, { headers: { authorization: `Bearer ${devKey}` } })).status).toBe(200);

    const pids = childPids(dataDir);
    expect(pids).toHaveLength(2);
    const sentAt = Date.now();
    server.proc.kill('SIGTERM');
    const { code, atMs } = await server.exited;
    expect(code).toBe(0);
    expect(atMs - sentAt).toBeLessThan(5000);
    expect(await waitGone(pids, 500)).toBe(true);
    // mediasoup workers are children of the server process: none may survive it.
    const workers = await new Promise<string>((resolve) => {
      const ps = spawn('pgrep', ['-P', String(server.proc.pid)]);
      let o = '';
      ps.stdout.on('data', (d: Buffer) => (o += d.toString()));
      ps.on('close', () => resolve(o.trim()));
    });
    expect(workers).toBe('');
  });

  it('uses external Redis and S3 when configured', async () => {
    const dataDir = tempDir();
    const s3 = inject('s3');
    const server = startServerProcess({
      PORT: '0',
      LEVELCHAT_DATA_DIR: dataDir,
      LEVELCHAT_WORKERS: '1',
      REDIS_URL: inject('redisUrl'),
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY: s3.accessKey,
      S3_SECRET_KEY: s3.secretKey,
      S3_BUCKET: 'external-bucket',
    });
    const url = await server.ready;
    expect(server.stderr()).toContain(`redis    : external ${redactUrl(inject('redisUrl'))}`);
    expect(server.stderr()).toContain(`storage  : external ${s3.endpoint} (bucket external-bucket)`);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect(childPids(dataDir)).toEqual([]);
    server.proc.kill('SIGINT');
    expect((await server.exited).code).toBe(0);
  });

  it('exits 1 with one clear line when the port is busy, leaving nothing running', async () => {
    const dataDir = tempDir();
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    try {
      const server = startServerProcess({ PORT: String(port), LEVELCHAT_DATA_DIR: dataDir, LEVELCHAT_WORKERS: '1' });
      const { code } = await server.exited;
      expect(code).toBe(1);
      expect(server.stderr().trim().split('\n')).toEqual([`levelchat: cannot start: port ${port} on 127.0.0.1 is already in use (set PORT)`]);
      expect(childPids(dataDir)).toEqual([]);
    } finally {
      blocker.close();
    }
  });

  it('exits 1 with one clear line when REDIS_URL is unreachable', async () => {
    const server = startServerProcess({ PORT: '0', LEVELCHAT_DATA_DIR: tempDir(), REDIS_URL: 'redis://127.0.0.1:1' });
    const { code } = await server.exited;
    expect(code).toBe(1);
    expect(server.stderr().trim()).toMatch(/^levelchat: cannot start: cannot reach Redis at redis:\/\/127\.0\.0\.1:1: .+$/);
  });

  it('exits 1 naming the variable when the config is invalid', async () => {
    const server = startServerProcess({ PORT: 'http', LEVELCHAT_DATA_DIR: tempDir() });
    const { code } = await server.exited;
    expect(code).toBe(1);
    expect(server.stderr().trim()).toMatch(/^levelchat: invalid configuration: PORT: /);
  });

  it('exits 1 with one clear line when a mediasoup worker cannot spawn', async () => {
    const dataDir = tempDir();
    const server = startServerProcess({ PORT: '0', LEVELCHAT_DATA_DIR: dataDir, MEDIASOUP_WORKER_BIN: '/nonexistent/mediasoup-worker' });
    const { code } = await server.exited;
    expect(code).toBe(1);
    expect(server.stderr().trim()).toMatch(/^levelchat: cannot start: mediasoup worker failed to spawn/);
    expect(childPids(dataDir)).toEqual([]);
  });

  it('restarts over a stale data dir left by a crashed run, reaping its orphans', async () => {
    const dataDir = tempDir();
    mkdirSync(path.join(dataDir, 'run'), { recursive: true });
    // A crashed run: its lock names a dead pid, and its redis-server is still running.
    writeFileSync(path.join(dataDir, 'run', 'levelchat.pid'), '999999');
    const orphanPort = await freePort();
    const orphan = spawn('redis-server', ['--port', String(orphanPort), '--bind', '127.0.0.1', '--save', ''], { stdio: 'ignore', detached: true });
    writeFileSync(path.join(dataDir, 'run', 'redis-server.child.pid'), String(orphan.pid));
    await new Promise((r) => setTimeout(r, 200));
    expect(isAlive(orphan.pid!)).toBe(true);

    const server = startServerProcess({ PORT: '0', LEVELCHAT_DATA_DIR: dataDir, LEVELCHAT_WORKERS: '1' });
    const url = await server.ready;
    expect(await waitGone([orphan.pid!], 2000)).toBe(true);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    // A second server on the same data dir is refused while the first runs.
    const second = startServerProcess({ PORT: '0', LEVELCHAT_DATA_DIR: dataDir, LEVELCHAT_WORKERS: '1' });
    expect((await second.exited).code).toBe(1);
    expect(second.stderr()).toMatch(/data dir .* is in use by another LevelChat process/);

    server.proc.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  });
});
