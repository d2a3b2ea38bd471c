import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { formatApiKey, generateApiKey } from '../../../src/auth/api-key.js';
import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../common/logger.js';
import { Stack } from '../../../src/runtime/stack.js';
import { readJson } from '../../helpers/test-stack.js';
import { startWebhookReceiver } from '../../helpers/webhook-receiver.js';
import { waitFor } from '../../../bench/lib/wait.js';

describe('Redis restarts (embedded, AOF)', () => {
  it.each(['SIGTERM', 'SIGKILL'] as const)('after %s nothing is lost and the node reconnects by itself', async (signal) => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'levelchat-redis-restart-'));
    const apiKey = formatApiKey(generateApiKey());
    const s3 = inject('s3');
    const stack = await Stack.start(
      loadConfig({
        PORT: '0',
        LEVELCHAT_WORKERS: '1',
        LEVELCHAT_DATA_DIR: dataDir,
        S3_ENDPOINT: s3.endpoint,
        S3_ACCESS_KEY: s3.accessKey,
        S3_SECRET_KEY: s3.secretKey,
        LEVELCHAT_API_KEYS: apiKey,
        // A development setting: the receiver below is on 127.0.0.1.
        LEVELCHAT_WEBHOOK_ALLOW_PRIVATE: 'true',
      }),
      createLogger('silent'),
    );
    const api = (p: string, init: { method?: string; json?: unknown; key?: string } = {}) =>
      fetch(`${stack.summary.url}${p}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${init.key ?? apiKey}`, ...(init.json ? { 'content-type': 'application/json' } : {}) },
        ...(init.json ? { body: JSON.stringify(init.json) } : {}),
      });
    try {
      const key = await readJson(await api('/v1/keys', { method: 'POST', json: { name: 'survivor' } }));
      await api('/v1/rooms', { method: 'POST', json: { external_id: 'durable', type: 'webinar' } });
      const hook = await readJson(await api('/v1/webhooks', { method: 'POST', json: { url: 'http://127.0.0.1:9/hook', events: ['room.ended'] } }));
      const reg = await readJson(await api('/v1/rooms/r_durable/registrations', { method: 'POST', json: { identity: 'ann' } }));
      // AOF is fsynced every second: a hard kill can lose the last second, a restart loses nothing.
      if (signal === 'SIGKILL') await new Promise((r) => setTimeout(r, 1200));

      const pid = Number(readFileSync(path.join(dataDir, 'run', 'redis-server.child.pid'), 'utf8'));
      process.kill(pid, signal);
      await waitFor(async () => {
        const r = await fetch(`${stack.summary.url}/readyz`);
        return r.status === 200 && Number(readFileSync(path.join(dataDir, 'run', 'redis-server.child.pid'), 'utf8')) !== pid;
      }, { timeoutMs: 15_000, what: 'redis back and ready' });

      const keys = (await readJson(await api('/v1/keys'))).keys.map((k: { id: string }) => k.id);
      expect(keys).toContain(key.id);
      expect((await api('/v1/rooms', { key: key.key })).status).toBe(200);
      expect((await readJson(await api('/v1/rooms/r_durable'))).type).toBe('webinar');
      expect((await readJson(await api('/v1/webhooks'))).webhooks.map((w: { id: string }) => w.id)).toEqual([hook.id]);
      expect((await readJson(await api('/v1/rooms/r_durable/registrations'))).registrations.map((r: { id: string }) => r.id)).toEqual([reg.registration.id]);
      await waitFor(async () => (await api('/v1/rooms', { method: 'POST', json: { external_id: 'after-restart' } })).status === 201, { what: 'writes work again' });
      // The job workers reconnected too: a webhook is delivered after the restart.
      const receiver = await startWebhookReceiver();
      try {
        await api('/v1/webhooks', { method: 'POST', json: { url: receiver.url, events: ['room.ended'] } });
        await api('/v1/rooms/r_after-restart', { method: 'DELETE' });
        await waitFor(() => receiver.accepted().length === 1, { timeoutMs: 15_000, what: 'a delivery after the restart' });
      } finally {
        await receiver.close();
      }
    } finally {
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 40_000);
});
