import { ConfigError, loadConfig } from './config.js';
import { createLogger } from '../common/logger.js';
import { Stack, type StackSummary } from './runtime/stack.js';

const STOP_DEADLINE_MS = 4500;

function banner(s: StackSummary): string {
  const part = (embedded: boolean) => (embedded ? 'embedded' : 'external');
  return [
    `LevelChat is up at ${s.url}`,
    `  data dir : ${s.dataDir}`,
    `  redis    : ${part(s.redis.embedded)} ${s.redis.url}`,
    `  storage  : ${part(s.storage.embedded)} ${s.storage.endpoint} (bucket ${s.storage.bucket})`,
    s.role === 'pipeline' ? '  role     : pipeline worker (LL-HLS ingest and recording jobs only)' : `  workers  : ${s.workers} mediasoup worker(s)`,
    `  health   : ${s.url}/healthz, ${s.url}/readyz`,
    ...(s.role === 'node' ? [`  API      : ${s.url}/v1/openapi.json`] : []),
    ...(s.devApiKey ? [`  API key  : ${s.devApiKey}  (development key, kept in the data dir; set LEVELCHAT_API_KEYS to use your own)`] : []),
    '',
  ].join('\n');
}

/** Runs one node until SIGINT/SIGTERM. Any start-up failure is one line on stderr and exit code 1. */
export async function runServer(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`levelchat: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  let stack: Stack;
  try {
    stack = await Stack.start(config, logger);
  } catch (err) {
    const firstLine = String((err as Error).message).split('\n')[0];
    logger.fatal({ err }, 'start-up failed');
    logger.flush();
    process.stderr.write(`levelchat: cannot start: ${firstLine}\n`);
    process.exit(1);
  }
  const { devApiKey: _secret, ...summary } = stack.summary;
  logger.info(summary, 'levelchat ready');
  process.stderr.write(banner(stack.summary));

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    // A hard deadline: whatever happens inside stop(), the process is gone within 5 s.
    setTimeout(() => process.exit(1), STOP_DEADLINE_MS).unref();
    await stack.stop();
    logger.info('stopped');
    logger.flush();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
