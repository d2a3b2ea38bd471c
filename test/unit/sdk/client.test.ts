import { describe, expect, it } from 'vitest';
import { LevelChatApiError, LevelChatClient } from '../../../sdk/node/index.js';

/** A client whose fetch records the request and answers `response` (or throws it). */
function clientAnswering(response: Response | Error) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = async (url: string | URL | Request, init: RequestInit = {}) => {
    calls.push({ url: String(url), init });
    if (response instanceof Error) throw response;
    return response;
  };
  return { calls, client: new LevelChatClient({ apiUrl: 'http://api.test/', apiKey: 'lc_pk_k.s', fetch: fetch as typeof globalThis.fetch }) };
}

async function apiError(promise: Promise<unknown>): Promise<LevelChatApiError> {
  const err = await promise.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(LevelChatApiError);
  return err as LevelChatApiError;
}

describe('LevelChatClient requests', () => {
  it('sends the key and a JSON body, encodes path segments and leaves out unset query fields', async () => {
    const { client, calls } = clientAnswering(new Response(null, { status: 204 }));
    expect(await client.participants.kick('r_a', 'bob/../x?y')).toBeUndefined();
    await client.rooms.list({ type: 'broadcast', limit: 5, cursor: undefined });
    await client.rooms.create({ type: 'meeting' });
    expect(calls.map((c) => [c.init.method, c.url])).toEqual([
      ['DELETE', 'http://api.test/v1/rooms/r_a/participants/bob%2F..%2Fx%3Fy'],
      ['GET', 'http://api.test/v1/rooms?type=broadcast&limit=5'],
      ['POST', 'http://api.test/v1/rooms'],
    ]);
    expect(calls[2]!.init.headers).toMatchObject({ authorization: 'Bearer lc_pk_k.s', 'content-type': 'application/json' });
    expect(calls[2]!.init.body).toBe('{"type":"meeting"}');
    expect(calls[0]!.init.headers).not.toHaveProperty('content-type');
  });
});

describe('LevelChatApiError', () => {
  it('carries the fields of a problem+json answer', async () => {
    const problem = { type: 'https://levelchat.dev/problems/room_not_found', title: 'Room not found', status: 404, code: 'room_not_found', detail: 'no such room' };
    const { client } = clientAnswering(new Response(JSON.stringify(problem), { status: 404, headers: { 'content-type': 'application/problem+json' } }));
    const err = await apiError(client.rooms.get('r_x'));
    expect({ status: err.status, code: err.code, title: err.title, detail: err.detail, message: err.message }).toEqual({
      status: 404,
      code: 'room_not_found',
      title: 'Room not found',
      detail: 'no such room',
      message: 'room_not_found: no such room',
    });
  });

  it('falls back to http_<status> when the answer is not problem+json', async () => {
    const html = new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' });
    expect(await apiError(clientAnswering(html).client.rooms.get('r_x'))).toMatchObject({ status: 502, code: 'http_502', title: 'Bad Gateway', detail: '<html>Bad Gateway</html>' });
    const json = new Response('{"error":"nope"}', { status: 403 });
    expect(await apiError(clientAnswering(json).client.keys.list())).toMatchObject({ status: 403, code: 'http_403', title: 'HTTP error' });
  });

  it('reports a failed request as network_error with its cause, and a non-JSON 2xx as invalid_response', async () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    expect(await apiError(clientAnswering(refused).client.rooms.list())).toMatchObject({ status: 0, code: 'network_error', detail: 'ECONNREFUSED' });
    expect(await apiError(clientAnswering(new Response('ok', { status: 200 })).client.rooms.list())).toMatchObject({ status: 200, code: 'invalid_response' });
  });
});
