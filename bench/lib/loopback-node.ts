// A whole LevelChat node for a bench, as `npm start` runs it but on loopback: HTTP on a free port of
// 127.0.0.1, silent logs, the embedded redis-server and S3 server in a data dir of the bench's, one
// API key. The rooms-create server process and the browser benches start theirs this way.
// Type only (erased): the stack itself is imported below, after MEDIASOUP_WORKER_BIN is settled.
import type { Stack, StackTuning } from '../../src/runtime/stack.js';

export interface LoopbackNode {
  dataDir: string;
  apiKey: string;
  /** LEVELCHAT_WORKERS: mediasoup workers. */
  workers: string;
  /** More settings, as environment variables (they win over the ones above). */
  env?: Record<string, string>;
  /** Knobs operators do not have (the tenant-isolation bench turns delivery fairness off for its reference run). */
  tuning?: StackTuning;
}

/**
 * Loads the stack and returns the function that starts a node. Two steps, so a bench can time the
 * start alone: mediasoup reads MEDIASOUP_WORKER_BIN once, when first imported, so the stack's modules
 * are imported only after the set-up's cached worker binary is chosen.
 */
export async function loopbackNodeStarter(): Promise<(node: LoopbackNode) => Promise<Stack>> {
  const { useCachedMediasoupWorker } = await import('../../src/runtime/mediasoup-binary.js');
  useCachedMediasoupWorker();
  const { Stack } = await import('../../src/runtime/stack.js');
  const { loadConfig } = await import('../../src/config.js');
  const { createLogger } = await import('../../common/logger.js');
  return (node) =>
    Stack.start(
      loadConfig({
        PORT: '0',
        LEVELCHAT_BIND: '127.0.0.1',
        LEVELCHAT_DATA_DIR: node.dataDir,
        LEVELCHAT_WORKERS: node.workers,
        LOG_LEVEL: 'silent',
        LEVELCHAT_API_KEYS: node.apiKey,
        ...node.env,
      }),
      createLogger('silent'),
      node.tuning,
    );
}
