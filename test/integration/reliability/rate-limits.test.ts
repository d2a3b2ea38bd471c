import { describe, expect, it } from 'vitest';
import { formatApiKey, generateApiKey } from '../../../src/auth/api-key.js';
import { readJson, useTestStack } from '../../helpers/test-stack.js';

// The bystander is another tenant: a config key of its own (keys made by the flooding key share its bucket).
const bystanderKey = formatApiKey(generateApiKey());
const { t } = useTestStack({ env: { LEVELCHAT_RATE_LIMIT_RPS: '50', LEVELCHAT_RATE_LIMIT_BURST: '50' }, extraApiKeys: [bystanderKey] });

describe('REST rate limits', () => {
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
});
