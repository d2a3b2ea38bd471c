import { describe, expect, it } from 'vitest';
import { formatApiKey, generateApiKey } from '../../../src/auth/api-key.js';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { weriftOffer } from '../../helpers/werift-peer.js';

// The bystander is another tenant: a config key of its own (keys made by the flooding key share its bucket).
const bystanderKey = formatApiKey(generateApiKey());
const { t } = useTestStack({ env: { LEVELCHAT_RATE_LIMIT_RPS: '50', LEVELCHAT_RATE_LIMIT_BURST: '50' }, extraApiKeys: [bystanderKey] });

describe('REST and WHIP/WHEP rate limits', () => {
  it('a flood of room creates from one key gets 429 with Retry-After; another key is unaffected', async () => {
    const other = { key: bystanderKey };
    const flood = Array.from({ length: 1000 }, (_, i) => t.api('/v1/rooms', { method: 'POST', json: { external_id: `flood-${i}` } }));
    const bystander = Array.from({ length: 20 }, (_, i) => t.api('/v1/rooms', { method: 'POST', json: { external_id: `calm-${i}` }, key: other.key }));
    const floodResults = await Promise.all(flood);
    const bystanderResults = await Promise.all(bystander);

    const limited = floodResults.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(800);
    expect(floodResults.filter((r) => r.status === 201).length).toBeGreaterThanOrEqual(50);
    expect(floodResults.every((r) => r.status === 201 || r.status === 429)).toBe(true);
    const problem = await readJson(limited[0]!);
    expect(problem.code).toBe('rate_limited');
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    for (const r of bystanderResults) expect(r.status).toBe(201);
    // A limited request wrote nothing: only the admitted creates exist.
    const created = floodResults.filter((r) => r.status === 201).length;
    await new Promise((r) => setTimeout(r, 1100));
    let listed = 0;
    let cursor: string | null = null;
    do {
      const page: { rooms: unknown[]; next_cursor: string | null } = await readJson(await t.api(`/v1/rooms?limit=100${cursor ? `&cursor=${cursor}` : ''}`));
      listed += page.rooms.length;
      cursor = page.next_cursor;
      if (cursor) await new Promise((r) => setTimeout(r, 50));
    } while (cursor);
    expect(listed).toBe(created);
  });

  it('guessing keys from one address is slowed down', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => t.api('/v1/rooms', { key: `lc_pk_guess${String(i).padStart(4, '0')}.aaaaaaaaaaaaaaaaaaaa` })));
    expect(results.filter((r) => r.status === 401).length).toBeLessThanOrEqual(5);
    expect(results.filter((r) => r.status === 429).length).toBeGreaterThan(20);
  });

  it('guessing room tokens at WHIP/WHEP spends the same budget per address; a good token still gets through', async () => {
    await new Promise((r) => setTimeout(r, 1500)); // the budget (burst 5 at 5/s) refills after the key guessing above
    const room = 'r_token-guessing';
    // A real offer: the offer is checked before the token (a malformed one is refused as that, with no token check).
    const peer = await weriftOffer('sendonly', 'H264', true);
    const offer = { method: 'POST', headers: { 'content-type': 'application/sdp', authorization: 'Bearer aaaa.bbbb.cccc' }, body: peer.offer };
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`${t.url}/v1/rooms/${room}/${i % 2 ? 'whep' : 'whip'}`, offer)));
    const codes = await Promise.all(results.map(async (r) => `${r.status} ${(await readJson(r)).code}`));
    expect(codes.filter((c) => c.startsWith('401 token_')).length).toBeLessThanOrEqual(5);
    expect(codes.filter((c) => c === '429 rate_limited').length).toBeGreaterThanOrEqual(15);
    expect(Number(results[codes.indexOf('429 rate_limited')]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // One budget: a wrong API key from this address is now refused the same way.
    expect((await t.api('/v1/rooms', { key: 'lc_pk_guess9999.aaaaaaaaaaaaaaaaaaaa' })).status).toBe(429);
    // Only failures count: a valid token from the same address is taken as ever (WHEP without subscribe:all: its refusal).
    const minted = await readJson(await t.api(`/v1/rooms/${room}/tokens`, { method: 'POST', json: { identity: 'obs', capabilities: ['publish:camera'], type: 'broadcast' } }));
    const good = await fetch(`${t.url}/v1/rooms/${room}/whep`, { ...offer, headers: { ...offer.headers, authorization: `Bearer ${minted.token}` } });
    expect(`${good.status} ${(await readJson(good)).code}`).toBe('403 capability_required');
    await peer.pc.close();
  });
});
