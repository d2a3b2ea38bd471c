import { describe, expect, it } from 'vitest';
import { readJson, useTestStack, type TestStack } from '../../helpers/test-stack.js';

const { t, redis } = useTestStack();

const guideBody = {
  external_id: 'team-standup-2026-04-25',
  type: 'meeting',
  config: { max_participants: 50, preferred_codec: 'av1', record: { enabled: false }, e2ee: false, region_hint: 'eu-fsn' },
};

async function problem(res: Response) {
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = await readJson(res);
  expect(body).toMatchObject({ status: res.status, type: expect.any(String), title: expect.any(String), code: expect.any(String) });
  return body as { code: string; detail?: string };
}

describe('POST /v1/rooms', () => {
  it('creates the guide\'s room and answers with its fields', async () => {
    const res = await t.api('/v1/rooms', { method: 'POST', json: guideBody });
    expect(res.status).toBe(201);
    const room = await readJson(res);
    expect(room).toMatchObject({
      id: 'r_team-standup-2026-04-25',
      external_id: 'team-standup-2026-04-25',
      type: 'meeting',
      state: 'created',
      config: { max_participants: 50, preferred_codec: 'av1', record: { enabled: false }, e2ee: false, region_hint: 'eu-fsn' },
    });
    expect(Date.parse(room.created_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(room.transitions).toEqual([{ state: 'created', at: room.created_at }]);
  });

  it('is idempotent on external_id: 200 with the same room, never a duplicate', async () => {
    const first = await readJson(await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'idem-1' } }));
    const results = await Promise.all(Array.from({ length: 10 }, () => t.api('/v1/rooms', { method: 'POST', json: { external_id: 'idem-1', type: 'webinar' } })));
    for (const res of results) {
      expect(res.status).toBe(200);
      expect(await readJson(res)).toEqual(first);
    }
    const page = await readJson(await t.api('/v1/rooms?limit=100'));
    expect(page.rooms.filter((r: { id: string }) => r.id === 'r_idem-1')).toHaveLength(1);
  });

  it('applies each type\'s defaults', async () => {
    const expectations: Record<string, object> = {
      meeting: { max_participants: 50, max_publishers: null, hls: false },
      '1to1': { max_participants: 2 },
      broadcast: { max_participants: null, hls: true, preferred_codec: 'h264' },
      live: { max_participants: null, hls: true },
      webinar: { max_participants: null, hls: true },
      hybrid: { max_participants: 50, hls: false },
      classroom: { max_participants: 100 },
    };
    for (const [type, config] of Object.entries(expectations)) {
      const res = await t.api('/v1/rooms', { method: 'POST', json: { type } });
      expect(res.status).toBe(201);
      const room = await readJson(res);
      expect(room.id).toMatch(/^r_[A-Za-z0-9]+$/);
      expect(room.external_id).toBeNull();
      expect(room.config).toMatchObject(config);
    }
  });

  it('refuses e2ee with recording, and a 1to1 for three', async () => {
    expect((await problem(await t.api('/v1/rooms', { method: 'POST', json: { type: 'meeting', config: { e2ee: true, record: { enabled: true } } } }))).code).toBe('e2ee_unsupported_feature');
    expect((await problem(await t.api('/v1/rooms', { method: 'POST', json: { type: '1to1', config: { max_participants: 3 } } }))).code).toBe('invalid_room_config');
    const e2eeBroadcast = await readJson(await t.api('/v1/rooms', { method: 'POST', json: { type: 'broadcast', config: { e2ee: true } } }));
    expect(e2eeBroadcast.config.hls).toBe(false);
  });

  it.each([
    ['unknown field', { external_id: 'u1', colour: 'red' }],
    ['unknown config field', { config: { max_participants: 5, foo: 1 } }],
    ['wrong type', { type: 'party' }],
    ['bad codec', { config: { preferred_codec: 'h265' } }],
    ['negative max', { config: { max_participants: -1 } }],
    ['string max', { config: { max_participants: '50' } }],
    ['dotdot id', { external_id: 'a..b' }],
    ['slash id', { external_id: 'a/b' }],
    ['NUL id', { external_id: 'a\u0000b' }],
    ['10 KB id', { external_id: 'a'.repeat(10_000) }],
    ['127-char id', { external_id: 'a'.repeat(127) }],
  ])('400 for %s, writing nothing', async (_name, body) => {
    const before = await redis.dbsize();
    const res = await t.api('/v1/rooms', { method: 'POST', json: body });
    expect(res.status).toBe(400);
    expect((await problem(res)).code).toBe('invalid_request');
    expect(await redis.dbsize()).toBe(before);
  });

  it('refuses bodies that are not JSON objects of at most 64 KB', async () => {
    const big = await t.api('/v1/rooms', { method: 'POST', body: JSON.stringify({ external_id: 'x', pad: 'a'.repeat(70_000) }), headers: { 'content-type': 'application/json' } });
    expect(big.status).toBe(413);
    expect((await problem(big)).code).toBe('body_too_large');
    const text = await t.api('/v1/rooms', { method: 'POST', body: 'type=meeting', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(text.status).toBe(415);
    expect((await problem(text)).code).toBe('unsupported_media_type');
    const broken = await t.api('/v1/rooms', { method: 'POST', body: '{"type":', headers: { 'content-type': 'application/json' } });
    expect(broken.status).toBe(400);
    expect((await problem(broken)).code).toBe('invalid_json');
    const array = await t.api('/v1/rooms', { method: 'POST', body: '[1,2]', headers: { 'content-type': 'application/json' } });
    expect(array.status).toBe(400);
    const deep = await t.api('/v1/rooms', { method: 'POST', body: '['.repeat(20_000) + ']'.repeat(20_000), headers: { 'content-type': 'application/json' } });
    expect(deep.status).toBe(400);
  });

  it('requires a valid API key', async () => {
    const none = await t.api('/v1/rooms', { method: 'POST', json: {}, key: null });
    expect(none.status).toBe(401);
    expect((await problem(none)).code).toBe('unauthorized');
    const wrong = await t.api('/v1/rooms', { key: t.apiKey.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')) });
    expect(wrong.status).toBe(401);
    expect((await problem(wrong)).code).toBe('invalid_api_key');
    const garbage = await t.api('/v1/rooms', { key: 'lc_pk_nope' });
    expect(garbage.status).toBe(401);
  });
});

describe('GET /v1/rooms and /v1/rooms/{id}', () => {
  it('gets a room and refuses ids that could escape a key space', async () => {
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'get-me' } });
    const res = await t.api('/v1/rooms/r_get-me');
    expect(res.status).toBe(200);
    expect((await readJson(res)).id).toBe('r_get-me');
    expect((await problem(await t.api('/v1/rooms/r_missing'))).code).toBe('room_not_found');
    for (const bad of ['r_a..b', 'r_a%2Fb', 'r_a%00b', `r_${'x'.repeat(10_000)}`, 'room1']) {
      const before = await redis.dbsize();
      const r = await t.api(`/v1/rooms/${bad}`);
      expect(r.status).toBe(400);
      expect((await problem(r)).code).toBe('invalid_id');
      expect(await redis.dbsize()).toBe(before);
    }
  });

  it('lists newest first with cursor pagination and filters', async () => {
    const key = await readJson(await t.api('/v1/keys', { method: 'POST', json: { name: 'lister' } }));
    const as = (path: string, init: Parameters<TestStack['api']>[1] = {}) => t.api(path, { ...init, key: key.key });
    for (let i = 0; i < 25; i += 1) {
      await as('/v1/rooms', { method: 'POST', json: { external_id: `list-${String(i).padStart(2, '0')}`, type: i % 5 === 0 ? 'broadcast' : 'meeting' } });
    }
    await as('/v1/rooms/r_list-03', { method: 'DELETE' });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { rooms: { id: string }[]; next_cursor: string | null } = await readJson(await as(`/v1/rooms?limit=7${cursor ? `&cursor=${cursor}` : ''}`));
      expect(page.rooms.length).toBeLessThanOrEqual(7);
      seen.push(...page.rooms.map((r) => r.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect(seen[0]).toBe('r_list-24');
    expect(seen.at(-1)).toBe('r_list-00');

    const broadcasts = await readJson(await as('/v1/rooms?type=broadcast&limit=100'));
    expect(broadcasts.rooms.map((r: { id: string }) => r.id)).toEqual(['r_list-20', 'r_list-15', 'r_list-10', 'r_list-05', 'r_list-00']);
    const ended = await readJson(await as('/v1/rooms?state=ended'));
    expect(ended.rooms.map((r: { id: string }) => r.id)).toEqual(['r_list-03']);

    expect((await problem(await as('/v1/rooms?cursor=garbage'))).code).toBe('invalid_cursor');
    expect((await problem(await as('/v1/rooms?limit=1000'))).code).toBe('invalid_request');
    expect((await problem(await as('/v1/rooms?state=sleeping'))).code).toBe('invalid_request');
  });
});

describe('key scoping', () => {
  it('one key never sees, ends or takes over another key\'s rooms', async () => {
    const other = await readJson(await t.api('/v1/keys', { method: 'POST', json: { name: 'tenant-b' } }));
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'private-a' } });
    expect((await t.api('/v1/rooms/r_private-a', { key: other.key })).status).toBe(404);
    expect((await t.api('/v1/rooms/r_private-a', { method: 'DELETE', key: other.key })).status).toBe(404);
    const takeover = await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'private-a' }, key: other.key });
    expect(takeover.status).toBe(409);
    expect((await problem(takeover)).code).toBe('room_id_taken');
    const token = await t.api('/v1/rooms/r_private-a/tokens', { method: 'POST', json: { identity: 'mallory', capabilities: ['subscribe:all'] }, key: other.key });
    expect(token.status).toBe(404);
    const list = await readJson(await t.api('/v1/rooms?limit=100', { key: other.key }));
    expect(list.rooms).toEqual([]);
    expect((await t.api('/v1/rooms/r_private-a')).status).toBe(200);
  });
});

describe('DELETE /v1/rooms/{id}', () => {
  it('ends the room with host_ended, once', async () => {
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'to-end' } });
    const res = await t.api('/v1/rooms/r_to-end', { method: 'DELETE' });
    expect(res.status).toBe(200);
    const room = await readJson(res);
    expect(room.state).toBe('ended');
    expect(room.ended_reason).toBe('host_ended');
    expect(room.transitions.map((x: { state: string }) => x.state)).toEqual(['created', 'ended']);
    const again = await t.api('/v1/rooms/r_to-end', { method: 'DELETE' });
    expect(again.status).toBe(409);
    expect((await problem(again)).code).toBe('room_ended');
  });
});

describe('errors and docs', () => {
  it('answers unknown routes with problem+json 404', async () => {
    const res = await t.api('/v1/nothing-here');
    expect(res.status).toBe(404);
    expect((await problem(res)).code).toBe('not_found');
  });

  it('serves OpenAPI 3.1 generated from the schemas', async () => {
    const res = await fetch(`${t.url}/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = await readJson(res);
    expect(doc.openapi).toBe('3.1.0');
    for (const path of ['/v1/rooms', '/v1/rooms/{id}', '/v1/rooms/{id}/tokens', '/v1/rooms/{id}/participants/{identity}', '/v1/keys', '/v1/keys/{id}', '/v1/webhooks', '/v1/webhooks/{id}', '/v1/webhooks/{id}/deliveries']) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.paths['/v1/rooms'].post.requestBody.content['application/json'].schema).toBeDefined();
    expect(doc.components.schemas.Room.properties.config).toBeDefined();
    expect(doc.components.schemas.WebhookEvent).toBeDefined();
  });
});
