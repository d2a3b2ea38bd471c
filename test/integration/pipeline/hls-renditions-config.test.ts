// config.hls_renditions and config.hls_dvr_window_s through the REST API: defaults, normalization,
// refusals, and the OpenAPI document.
import { describe, expect, it } from 'vitest';
import { readJson, useTestStack } from '../../helpers/test-stack.js';

const { t, redis } = useTestStack();

const create = (config: unknown) => t.api('/v1/rooms', { method: 'POST', json: { type: 'broadcast', config } });

describe('POST /v1/rooms with config.hls_renditions', () => {
  it('defaults to ["source"] and keeps a given ladder highest first', async () => {
    expect((await readJson(await create({}))).config.hls_renditions).toEqual(['source']);
    expect((await readJson(await t.api('/v1/rooms', { method: 'POST', json: { type: 'meeting' } }))).config.hls_renditions).toEqual(['source']);
    const res = await create({ hls_renditions: ['360p', 'source'] });
    expect(res.status).toBe(201);
    expect((await readJson(res)).config.hls_renditions).toEqual(['source', '360p']);
  });

  it.each([
    ['an unknown rendition', ['source', '1080p']],
    ['a duplicate', ['720p', '720p']],
    ['an empty ladder', []],
    ['a string instead of a list', '360p'],
  ])('400 invalid_request for %s, writing nothing', async (_name, hls_renditions) => {
    const before = await redis.dbsize();
    const res = await create({ hls_renditions });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = await readJson(res);
    expect(problem).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(problem.detail).toContain('body.config.hls_renditions');
    expect(await redis.dbsize()).toBe(before);
  });

  it('is documented in the OpenAPI request schema with the ladder', async () => {
    const doc = await readJson(await fetch(`${t.url}/v1/openapi.json`));
    const text = JSON.stringify(doc);
    expect(text).toContain('"hls_renditions"');
    expect(text).toMatch(/"enum":\["source","720p","360p"\]/);
  });
});

describe('POST /v1/rooms with config.hls_dvr_window_s', () => {
  it('defaults to 0 (the live edge only) and keeps a given window', async () => {
    expect((await readJson(await create({}))).config.hls_dvr_window_s).toBe(0);
    const res = await create({ hls_dvr_window_s: 7200 });
    expect(res.status).toBe(201);
    expect((await readJson(res)).config.hls_dvr_window_s).toBe(7200);
  });

  it.each([
    ['a negative window', -5],
    ['more than four hours', 4 * 3600 + 1],
    ['a fraction', 2.5],
  ])('400 invalid_request for %s', async (_name, hls_dvr_window_s) => {
    const res = await create({ hls_dvr_window_s });
    expect(res.status).toBe(400);
    expect((await readJson(res)).detail).toContain('body.config.hls_dvr_window_s');
  });

  it('is documented in the OpenAPI document', async () => {
    expect(JSON.stringify(await readJson(await fetch(`${t.url}/v1/openapi.json`)))).toContain('"hls_dvr_window_s"');
  });
});
