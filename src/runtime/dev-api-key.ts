import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatApiKey, generateApiKey, parseApiKey } from '../auth/api-key.js';

/**
 * With no LEVELCHAT_API_KEYS, a node still needs a key to be usable: one development key is made on
 * the first start, kept in the data dir (mode 600) and reused, and the start-up banner shows it.
 */
export function devApiKey(dataDir: string): string {
  const file = path.join(dataDir, 'dev-api-key');
  if (existsSync(file)) {
    const saved = readFileSync(file, 'utf8').trim();
    if (parseApiKey(saved)) return saved;
  }
  const key = formatApiKey(generateApiKey());
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
