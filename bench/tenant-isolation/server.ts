// The tenant-isolation bench's server process, forked by bench/tenant-isolation.ts: one LevelChat
// node on loopback (embedded redis-server and S3 server, one mediasoup worker) and nothing else, so
// neither tenant's load generator shares its event loop. Webhook receivers are on 127.0.0.1, so
// LEVELCHAT_WEBHOOK_ALLOW_PRIVATE=true (the development setting): with it off they are refused.
import type { Stack as LevelChatStack } from '../../src/runtime/stack.js';
import { serveCalls } from '../lib/ipc-rpc.js';
import { loopbackNodeStarter } from '../lib/loopback-node.js';
import { SERVER_ENV, type Backlog, type ServerInfo, type ServerRequest } from './protocol.js';

// Ctrl-C reaches the whole process group; the driver decides when we stop.
process.on('SIGINT', () => {});

let stack: LevelChatStack | undefined;

async function start(): Promise<ServerInfo> {
  const { DEFAULT_DELIVERY_LIMITS } = await import('../../src/webhooks/webhook-dispatcher.js');
  // The reference run: 16 slots shared by everyone and no per-tenant limit, as delivery was before.
  const limits = process.env[SERVER_ENV.unfair] === '1' ? { ...DEFAULT_DELIVERY_LIMITS, concurrency: 16, perTenant: 1_000_000 } : DEFAULT_DELIVERY_LIMITS;
  const startNode = await loopbackNodeStarter();
  const keys = process.env[SERVER_ENV.apiKeys]!;
  stack = await startNode({
    dataDir: process.env[SERVER_ENV.dataDir]!,
    apiKey: keys.split(',')[0]!,
    workers: '1',
    env: { LEVELCHAT_API_KEYS: keys, LEVELCHAT_WEBHOOK_ALLOW_PRIVATE: 'true' },
    tuning: { webhookDeliveryLimits: limits },
  });
  const redisPid = Number(/^process_id:(\d+)/m.exec(await stack.redis.info('server'))?.[1]) || 0;
  return { pid: process.pid, redisPid, url: stack.summary.url, perTenant: limits.perTenant, concurrency: limits.concurrency };
}

async function handle(request: ServerRequest): Promise<Backlog> {
  return stack!.control.dispatcher.backlog(request.tree);
}

async function stop(): Promise<void> {
  if (stack) await stack.stop();
}

await serveCalls<ServerRequest>({ start, handle, stop });
