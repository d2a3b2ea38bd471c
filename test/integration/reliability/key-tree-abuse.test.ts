// Issue 17, row 8: a leaked API key mints keys. Before: POST /v1/keys had no bound, every key had
// its own rate bucket (N keys = N x the limit), and the keys it made survived its deletion. Each
// test works in a key tree of its own (a config key as root), so their limits do not meet.
import { describe, expect, it } from 'vitest';
import { formatApiKey, generateApiKey } from '../../../src/auth/api-key.js';
import { KEYS_PER_TREE, childrenOf, keyOf, treeMembersOf } from '../../../src/auth/key-tree.js';
import { sleep } from '../../../bench/lib/wait.js';
import { readJson, startTestStack, useTestStack } from '../../helpers/test-stack.js';

const roots = { cap: formatApiKey(generateApiKey()), rate: formatApiKey(generateApiKey()), bystander: formatApiKey(generateApiKey()), cascade: formatApiKey(generateApiKey()) };
// A slow refill, so what the spray gets is the burst plus little, however long the machine takes to answer it.
const RATE = 5;
const BURST = 150;
const { t, redis } = useTestStack({
  env: { LEVELCHAT_RATE_LIMIT_RPS: String(RATE), LEVELCHAT_RATE_LIMIT_BURST: String(BURST) },
  extraApiKeys: Object.values(roots),
});

async function makeKey(parent: string, name = 'k'): Promise<{ id: string; key: string }> {
  const res = await t.api('/v1/keys', { method: 'POST', json: { name }, key: parent });
  expect(res.status).toBe(201);
  return readJson(res);
}

describe('key tree abuse', () => {
  it(`a leaked key cannot mint keys without bound: a tree holds ${KEYS_PER_TREE}, then 409 key_limit, also when asked all at once`, async () => {
    const leaked = await makeKey(roots.cap, 'leaked');
    const answers = await Promise.all(Array.from({ length: KEYS_PER_TREE + 20 }, () => t.api('/v1/keys', { method: 'POST', json: {}, key: leaked.key })));
    expect(answers.filter((r) => r.status === 201)).toHaveLength(KEYS_PER_TREE - 1);
    const refused = answers.filter((r) => r.status === 409);
    expect(refused).toHaveLength(21);
    expect((await readJson(refused[0]!)).code).toBe('key_limit');
    // Grandchildren count too: the cap is the tree's, not the key's.
    const child = (await readJson(answers.find((r) => r.status === 201)!)) as { id: string; key: string };
    expect((await t.api('/v1/keys', { method: 'POST', json: {}, key: child.key })).status).toBe(409);
    // Deleting keys makes room again.
    expect((await t.api(`/v1/keys/${child.id}`, { method: 'DELETE', key: leaked.key })).status).toBe(204);
    expect((await t.api('/v1/keys', { method: 'POST', json: {}, key: leaked.key })).status).toBe(201);
    expect((await t.api('/v1/keys', { method: 'POST', json: {}, key: leaked.key })).status).toBe(409);
  });

  it('keys of one tree share its rate limit: ten keys are not ten times the limit, and another tree is unaffected', async () => {
    const keys = [];
    for (let i = 0; i < 10; i += 1) keys.push(await makeKey(roots.rate, `sprayer-${i}`));
    // Let the tree's bucket fill up again after the 10 creates.
    await sleep((10 / RATE) * 1000 + 200);
    // 10 keys x 60 requests: each key alone stays within the burst, so per-key buckets would admit all 600.
    const started = Date.now();
    const spray = await Promise.all(keys.flatMap((k) => Array.from({ length: 60 }, () => t.api('/v1/rooms', { key: k.key }))));
    const elapsedS = (Date.now() - started) / 1000;
    const bystander = await Promise.all(Array.from({ length: 20 }, () => t.api('/v1/rooms', { key: roots.bystander })));
    const admitted = spray.filter((r) => r.status === 200).length;
    // One bucket: the burst plus what refilled while the spray was answered.
    expect(admitted).toBeGreaterThanOrEqual(BURST);
    expect(admitted).toBeLessThanOrEqual(BURST + Math.ceil(RATE * elapsedS) + 1);
    expect(admitted).toBeLessThan(300);
    expect(spray.every((r) => r.status === 200 || r.status === 429)).toBe(true);
    const limited = spray.find((r) => r.status === 429)!;
    expect((await readJson(limited)).code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    for (const r of bystander) expect(r.status).toBe(200);
  });

  it('deleting a leaked key with cascade=true revokes every key below it at once, on every node', async () => {
    // root -> leaked -> { a -> { b, c }, d }
    const leaked = await makeKey(roots.cascade, 'leaked');
    const a = await makeKey(leaked.key, 'a');
    const b = await makeKey(a.key, 'b');
    const c = await makeKey(a.key, 'c');
    const d = await makeKey(leaked.key, 'd');
    const survivor = await makeKey(roots.cascade, 'unrelated');
    const below = [leaked, a, b, c, d];
    // A second node on the same Redis has the keys in its cache before the delete.
    const other = await startTestStack({ after: t });
    try {
      for (const k of below) expect((await other.api('/v1/rooms', { key: k.key })).status).toBe(200);
      expect((await t.api(`/v1/keys/${leaked.id}?cascade=true`, { method: 'DELETE', key: roots.cascade })).status).toBe(204);
      for (const k of below) {
        for (const node of [t, other]) {
          const res = await node.api('/v1/rooms', { key: k.key });
          expect(res.status).toBe(401);
          expect((await readJson(res)).code).toBe('invalid_api_key');
        }
        expect(await redis.exists(keyOf(k.id), childrenOf(k.id))).toBe(0);
      }
      expect((await t.api('/v1/rooms', { key: survivor.key })).status).toBe(200);
      const listed = (await readJson(await t.api('/v1/keys', { key: roots.cascade }))).keys.map((k: { id: string }) => k.id);
      expect(listed).toContain(survivor.id);
      for (const k of below) expect(listed).not.toContain(k.id);
      expect(await redis.smembers(treeMembersOf(listed[0]!))).toEqual([survivor.id]);
    } finally {
      await other.stop();
    }
  });

  it('without cascade the keys of a deleted key move up to its creator (the documented default); cascade=false says the same', async () => {
    const parent = await makeKey(roots.cascade, 'parent');
    const child = await makeKey(parent.key, 'child');
    expect((await t.api(`/v1/keys/${parent.id}?cascade=false`, { method: 'DELETE', key: roots.cascade })).status).toBe(204);
    expect((await t.api('/v1/rooms', { key: child.key })).status).toBe(200);
    const listed = (await readJson(await t.api('/v1/keys', { key: roots.cascade }))).keys;
    expect(listed.find((k: { id: string }) => k.id === child.id)).toBeDefined();
    expect((await t.api(`/v1/keys/${child.id}?cascade=maybe`, { method: 'DELETE', key: roots.cascade })).status).toBe(400);
  });
});
