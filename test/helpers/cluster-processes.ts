import { inject } from 'vitest';
import { formatApiKey, generateApiKey } from '../../src/auth/api-key.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { tempDir } from './temp-dir.js';
import { freshRedisDb } from './test-stack.js';

export interface ClusterNodeProcess {
  id: string;
  region: string;
  url: string;
  /** The node's signaling URL, as token responses name it. */
  signalingUrl: string;
  server: ServerProcess;
}

export interface ClusterProcesses {
  nodes: ClusterNodeProcess[];
  apiKey: string;
  /** An API request to `node` with the cluster's key. */
  api(node: ClusterNodeProcess, path: string, init?: { method?: string; json?: unknown }): Promise<Response>;
}

/**
 * LevelChat node processes (`node dist/src/main.js`, as `npm start` runs it) on loopback, one
 * Redis database and one S3 bucket between them, each with its own data dir, node id and region.
 * They are killed when the test finishes.
 */
export async function startClusterProcesses(nodes: { id: string; region: string }[], env: Record<string, string> = {}): Promise<ClusterProcesses> {
  const redisUrl = await freshRedisDb();
  const s3 = inject('s3');
  const apiKey = formatApiKey(generateApiKey());
  const started = nodes.map(({ id, region }) => ({
    id,
    region,
    server: startServerProcess({
      PORT: '0',
      LEVELCHAT_BIND: '127.0.0.1',
      LEVELCHAT_DATA_DIR: tempDir(`levelchat-node-${id}-`),
      LEVELCHAT_NODE_ID: id,
      LEVELCHAT_REGION: region,
      LEVELCHAT_WORKERS: '1',
      LEVELCHAT_API_KEYS: apiKey,
      // A development setting, as in test-stack.ts: any webhook receiver of a test is on loopback.
      LEVELCHAT_WEBHOOK_ALLOW_PRIVATE: 'true',
      REDIS_URL: redisUrl,
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY: s3.accessKey,
      S3_SECRET_KEY: s3.secretKey,
      S3_BUCKET: `test-cluster-${redisUrl.split('/').pop()}`,
      ...env,
    }),
  }));
  const urls = await Promise.all(started.map((n) => n.server.ready));
  return {
    nodes: started.map((n, i) => ({ ...n, url: urls[i]!, signalingUrl: `${urls[i]!.replace(/^http/, 'ws')}/v1/rtc` })),
    apiKey,
    api(node, path, init = {}) {
      return fetch(`${node.url}${path}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${apiKey}`, ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
      });
    },
  };
}
