// A node behind a load balancer (here: the test, on loopback, plays it) with LEVELCHAT_TRUST_PROXY:
// the per-address limits count the client X-Forwarded-For names, so one client spending its budget
// does not lock out the others who come through the same balancer.
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { readJson, useTestStack } from '../../helpers/test-stack.js';

const { t } = useTestStack({
  env: { LEVELCHAT_TRUST_PROXY: 'loopback', LEVELCHAT_RATE_LIMIT_RPS: '50', LEVELCHAT_RATE_LIMIT_BURST: '50', LEVELCHAT_SIGNALING_UNJOINED_PER_ADDRESS: '2' },
});

const from = (client: string) => ({ 'x-forwarded-for': client });

/** Opens a signaling socket as `client`; the HTTP status it was refused with, or 101. */
function signalingSocket(client: string): Promise<{ status: number; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${t.url.replace(/^http/, 'ws')}/v1/rtc`, { headers: from(client) });
    ws.once('open', () => resolve({ status: 101, ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.once('error', () => resolve({ status: 0 }));
  });
}

describe('behind a trusted proxy', () => {
  it('limits failed authentications per forwarded client, not per balancer', async () => {
    const guesses = await Promise.all(Array.from({ length: 12 }, (_, i) => t.api('/v1/rooms', { key: `lc_pk_guess${i}.aaaaaaaaaaaaaaaaaaaa`, headers: from('203.0.113.1') })));
    expect(guesses.filter((r) => r.status === 401).length).toBeLessThanOrEqual(5);
    expect(guesses.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(7);
    // Another client through the same balancer has its own budget.
    const other = await t.api('/v1/rooms', { key: 'lc_pk_typo.aaaaaaaaaaaaaaaaaaaa', headers: from('203.0.113.2') });
    expect(`${other.status} ${(await readJson(other)).code}`).toBe('401 invalid_api_key');
  });

  it('shares signaling sockets per forwarded client', async () => {
    const a = [await signalingSocket('198.51.100.1'), await signalingSocket('198.51.100.1'), await signalingSocket('198.51.100.1')];
    const b = await signalingSocket('198.51.100.2');
    try {
      // Two sockets that have not joined per address: the third from the same client is refused, another client is not.
      expect(a.map((s) => s.status)).toEqual([101, 101, 429]);
      expect(b.status).toBe(101);
    } finally {
      for (const s of [...a, b]) s.ws?.terminate();
    }
  });
});
