import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from '../../common/logger.js';
import { ChildStartError, type ChildProcesses } from '../../common/child-processes.js';
import type { DataDir } from '../../common/data-dir.js';
import { freePort } from '../../common/free-port.js';

export class RedisUnreachableError extends Error {
  readonly code = 'redis_unreachable';
}

export interface RedisEndpoint {
  url: string;
  embedded: boolean;
}

/** Connects a client and proves the server answers, or throws a one-line reason. */
export async function connectRedis(url: string, name = 'levelchat'): Promise<Redis> {
  const client = new Redis(url, {
    connectionName: name,
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
  });
  // Before the first successful connect, errors are reported by connect() below.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch (err) {
    client.disconnect();
    throw new RedisUnreachableError(`cannot reach Redis at ${redactUrl(url)}: ${(err as Error).message}`);
  }
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

/**
 * The embedded server's password: generated on first start and kept in the data dir (0600), so a
 * restart (and the AOF it replays) keeps it. Redis holds the token signing keys: loopback and
 * protected mode alone would leave them to any local process.
 */
function embeddedRedisAuth(dataDir: DataDir): { password: string; configFile: string } {
  const dir = dataDir.subdir('redis');
  const passwordFile = path.join(dir, 'password');
  if (!existsSync(passwordFile)) writeFileSync(passwordFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  const password = readFileSync(passwordFile, 'utf8').trim();
  // In a config file rather than on the command line, where `ps` would show it.
  const configFile = path.join(dir, 'auth.conf');
  writeFileSync(configFile, `requirepass ${password}\n`, { mode: 0o600 });
  return { password, configFile };
}

function spawnRedis(children: ChildProcesses, dataDir: DataDir, port: number, configFile: string) {
  return children.start({
    name: 'redis-server',
    command: 'redis-server',
    args: [
      configFile,
      '--bind', '127.0.0.1', '--port', String(port), '--dir', dataDir.subdir('redis'),
      '--appendonly', 'yes', '--appendfsync', 'everysec',
      // A new stream's first node is sized up to this: 1 KB instead of 4 KB makes an idle room's event stream ~1.6 KB.
      '--stream-node-max-bytes', '1024',
      '--save', '', '--databases', '64', '--daemonize', 'no', '--protected-mode', 'yes', '--loglevel', 'notice',
      '--logfile', '',
    ],
    readyLine: /Ready to accept connections/,
    pidFile: dataDir.pidFile('redis-server'),
  });
}

/**
 * Starts Debian's redis-server on a free loopback port with AOF persistence in the data dir, and
 * restarts it on the same port if it dies (clients reconnect by themselves; the AOF brings the
 * data back). Retries with another port if one is taken between picking and binding.
 */
export async function startEmbeddedRedis(children: ChildProcesses, dataDir: DataDir, logger: Logger): Promise<RedisEndpoint> {
  const { password, configFile } = embeddedRedisAuth(dataDir);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    try {
      await spawnRedis(children, dataDir, port, configFile);
      logger.info({ port, dir: dataDir.subdir('redis') }, 'embedded redis-server started');
      superviseRedis(children, dataDir, logger, port, configFile);
      return { url: `redis://:${password}@127.0.0.1:${port}`, embedded: true };
    } catch (err) {
      lastError = err;
      if (!/Address already in use/.test((err as Error).message)) break;
    }
  }
  throw lastError instanceof ChildStartError ? lastError : new ChildStartError(String(lastError));
}

function superviseRedis(children: ChildProcesses, dataDir: DataDir, logger: Logger, port: number, configFile: string): void {
  children.on('unexpected-exit', (name) => {
    if (name !== 'redis-server') return;
    const restart = async (attempt: number): Promise<void> => {
      try {
        await spawnRedis(children, dataDir, port, configFile);
        logger.warn({ port, attempt }, 'embedded redis-server restarted');
      } catch (err) {
        logger.error({ port, attempt, err: (err as Error).message }, 'embedded redis-server failed to restart');
        if (attempt < 10) setTimeout(() => void restart(attempt + 1), Math.min(5000, 200 * 2 ** attempt)).unref();
      }
    };
    void restart(1);
  });
}
