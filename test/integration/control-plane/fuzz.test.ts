import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useTestStack } from '../../helpers/test-stack.js';

const { t, redis } = useTestStack();

/** The control plane's durable keys (delivery logs and queues are written asynchronously). */
async function durableKeys(): Promise<string> {
  const keys = await redis.keys('lc:*');
  return keys.filter((k) => !k.endsWith(':deliveries') && !k.startsWith('lc:wh:')).sort().join('\n');
}

const fieldValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('meeting', 'broadcast', 'live', '1to1', 'av1', 'h264', 'r_x', 'a..b', '../x', 'a/b', '\u0000', 'x'.repeat(300), 'publish:camera', 'subscribe:all', 'http://127.0.0.1:9/hook', 'room.ended'),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);

/** Bodies near the schema (known field names, random values) and far from it (any JSON). */
const body = fc.oneof(
  fc.dictionary(
    fc.constantFrom('external_id', 'type', 'config', 'identity', 'name', 'capabilities', 'ttl_s', 'metadata', 'url', 'events', 'max_participants', 'record', 'extra'),
    fc.oneof(fieldValue, fc.dictionary(fc.constantFrom('max_participants', 'preferred_codec', 'record', 'e2ee', 'region_hint', 'enabled', 'x'), fieldValue), fc.array(fieldValue, { maxLength: 5 })),
    { maxKeys: 6 },
  ),
  fc.jsonValue({ maxDepth: 6 }),
);

const rawBody = fc.oneof(
  body.map((b) => ({ text: JSON.stringify(b) ?? 'null', type: 'application/json' })),
  fc.string({ maxLength: 200 }).map((s) => ({ text: s, type: 'application/json' })),
  fc.string({ maxLength: 200 }).map((s) => ({ text: s, type: 'text/plain' })),
  fc.constant({ text: '{"a":' + '['.repeat(5000), type: 'application/json' }),
  fc.nat({ max: 200_000 }).map((n) => ({ text: JSON.stringify({ external_id: 'big', pad: 'x'.repeat(n) }), type: 'application/json' })),
);

const pathSegment = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('r_ok', 'r_a..b', '..', 'r_%00', '%2F', 'r_' + 'y'.repeat(200)));

const request = fc.record({
  target: fc.oneof(
    fc.constant('/v1/rooms'),
    pathSegment.map((id) => `/v1/rooms/${encodeURIComponent(id)}/tokens`),
    fc.constant('/v1/webhooks'),
    fc.constant('/v1/keys'),
  ),
  payload: rawBody,
});

describe('REST fuzzing (fast-check)', () => {
  it('never answers 5xx, and a rejected request writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(request, async ({ target, payload }) => {
        const before = await durableKeys();
        const res = await t.api(target, { method: 'POST', body: payload.text, headers: { 'content-type': payload.type } });
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
          const problem = (await res.json()) as { code?: unknown };
          expect(typeof problem.code).toBe('string');
          expect(await durableKeys()).toBe(before);
        } else {
          await res.arrayBuffer();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never answers 5xx to random paths, queries and methods', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'DELETE', 'POST', 'PUT', 'PATCH'),
        fc.constantFrom('/v1/rooms', '/v1/rooms/', '/v1/keys/', '/v1/webhooks/', '/v1/rooms/r_ok/participants/'),
        fc.string({ maxLength: 60 }),
        fc.dictionary(fc.constantFrom('state', 'type', 'limit', 'cursor', 'x'), fc.string({ maxLength: 30 }), { maxKeys: 4 }),
        async (method, prefix, tail, query) => {
          const qs = new URLSearchParams(query).toString();
          const res = await t.api(`${prefix}${encodeURIComponent(tail)}${qs ? `?${qs}` : ''}`, { method });
          expect(res.status).toBeLessThan(500);
          await res.arrayBuffer();
        },
      ),
      { numRuns: 300 },
    );
  });
});
