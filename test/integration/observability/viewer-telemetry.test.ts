import { describe, expect, it } from 'vitest';
import { Scrape } from '../../helpers/prometheus-scrape.js';
import { readJson, useTestStack } from '../../helpers/test-stack.js';

// POST /v1/rooms/{id}/telemetry on a real node: who may report (a room or playback token of the
// room, not revoked), what a report may be (small, strict, not too often), and where it shows: the
// latency histogram and rebuffer counter on /metrics, the room's viewers in GET /v1/rooms/{id}.
const { t } = useTestStack();

async function createRoom(external_id: string): Promise<string> {
  const res = await t.api('/v1/rooms', { method: 'POST', json: { external_id, type: 'broadcast' } });
  expect(res.status).toBe(201);
  return (await readJson(res)).id;
}

async function roomToken(roomId: string, identity: string): Promise<string> {
  const res = await t.api(`/v1/rooms/${roomId}/tokens`, { method: 'POST', json: { identity, capabilities: ['subscribe:all'] } });
  expect(res.status).toBe(201);
  return (await readJson(res)).token;
}

async function playbackToken(roomId: string, identity: string): Promise<string> {
  const res = await t.api(`/v1/rooms/${roomId}/playback-tokens`, { method: 'POST', json: { identity } });
  expect(res.status).toBe(201);
  return (await readJson(res)).token;
}

let sessions = 0;
const newSession = () => `session-${String(++sessions).padStart(4, '0')}`;

function report(roomId: string, token: string | null, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${t.url}/v1/rooms/${roomId}/telemetry`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function code(res: Response): Promise<string> {
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  return (await readJson(res)).code;
}

describe('POST /v1/rooms/{id}/telemetry', () => {
  it('refuses requests without a token, with a bad one, with one of another room or a revoked one', async () => {
    const roomId = await createRoom('telemetry-auth');
    const otherId = await createRoom('telemetry-auth-other');
    const body = { session: newSession(), delivery: 'webrtc', latency_s: 0.2, rebuffers: 0 };

    const none = await report(roomId, null, body);
    expect(none.status).toBe(401);
    expect(await code(none)).toBe('token_required');
    const garbage = await report(roomId, 'not.a.token', body);
    expect(garbage.status).toBe(401);
    expect(await code(garbage)).toBe('token_invalid');
    // An API key is not a viewer's token.
    const apiKey = await report(roomId, t.apiKey, body);
    expect(apiKey.status).toBe(401);

    const other = await report(roomId, await roomToken(otherId, 'eve'), body);
    expect(other.status).toBe(403);
    expect(await code(other)).toBe('token_room_mismatch');
    // A playback token of another room is no token of this one.
    const otherPlayback = await report(roomId, await playbackToken(otherId, 'eve'), { ...body, delivery: 'llhls' });
    expect(otherPlayback.status).toBe(401);

    const kicked = await roomToken(roomId, 'mallory');
    const kickedPlayback = await playbackToken(roomId, 'mallory');
    expect((await report(roomId, kicked, body)).status).toBe(204);
    expect((await t.api(`/v1/rooms/${roomId}/participants/mallory`, { method: 'DELETE' })).status).toBeLessThan(300);
    for (const token of [kicked, kickedPlayback]) {
      const revoked = await report(roomId, token, { ...body, session: newSession() });
      expect(revoked.status).toBe(401);
      expect(await code(revoked)).toBe('token_revoked');
    }
  });

  it('refuses oversized, malformed and non-JSON reports, and reports sent too often (429 with Retry-After)', async () => {
    const roomId = await createRoom('telemetry-shape');
    const token = await roomToken(roomId, 'viewer');
    const session = newSession();

    const oversized = await report(roomId, token, { session, delivery: 'webrtc', latency_s: 0.2, rebuffers: 0, pad: 'x'.repeat(2000) });
    expect(oversized.status).toBe(413);
    expect(await code(oversized)).toBe('body_too_large');
    for (const bad of [
      { session, delivery: 'webrtc', latency_s: 0.2, extra: 1 },
      { session, delivery: 'rtmp', latency_s: 0.2 },
      { session, delivery: 'webrtc', latency_s: -1 },
      { session, delivery: 'webrtc', latency_s: 0.2, rebuffers: 1e6 },
      { session: 'short', delivery: 'webrtc', latency_s: 0.2 },
    ]) {
      const res = await report(roomId, token, bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(await code(res)).toBe('invalid_request');
    }
    const text = await report(roomId, token, 'latency=1', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);

    // Three at once are taken (a late report arrives with the next), the fourth is too soon.
    const ok = { session, delivery: 'webrtc', latency_s: 0.25, rebuffers: 0 };
    for (let i = 0; i < 3; i++) expect((await report(roomId, token, ok)).status).toBe(204);
    const soon = await report(roomId, token, ok);
    expect(soon.status).toBe(429);
    expect(await code(soon)).toBe('rate_limited');
    expect(Number(soon.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Made-up session ids do not multiply a token's rate.
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) codes.push((await report(roomId, token, { ...ok, session: newSession() })).status);
    expect(codes).toContain(429);
  });

  it('moves the latency histogram and the rebuffer counter by delivery, and GET /v1/rooms/{id} shows the viewers with p50/p95', async () => {
    const roomId = await createRoom('telemetry-window');
    const before = await Scrape.of(t.url);
    const webrtcBefore = before.histogram('levelchat_viewer_latency_seconds', { delivery: 'webrtc' });
    const llhlsBefore = before.histogram('levelchat_viewer_latency_seconds', { delivery: 'llhls' });

    const empty = await readJson(await t.api(`/v1/rooms/${roomId}`));
    expect(empty.viewers).toEqual({ count: 0, capped: false, latency_p50_s: null, latency_p95_s: null, window_s: 15 });

    // Ten WebRTC viewers at 0.1..1.0 s, ten LL-HLS viewers (playback tokens only) at 2.1..3.0 s.
    for (let i = 1; i <= 10; i++) {
      const res = await report(roomId, await roomToken(roomId, `rtc-${i}`), { session: newSession(), delivery: 'webrtc', latency_s: i / 10, rebuffers: i === 1 ? 2 : 0 });
      expect(res.status).toBe(204);
    }
    for (let i = 1; i <= 10; i++) {
      const res = await report(roomId, await playbackToken(roomId, `hls-${i}`), { session: newSession(), delivery: 'llhls', latency_s: 2 + i / 10, rebuffers: 1 });
      expect(res.status).toBe(204);
    }
    // A viewer that plays but cannot measure yet counts without a latency.
    expect((await report(roomId, await roomToken(roomId, 'rtc-unknown'), { session: newSession(), delivery: 'webrtc', latency_s: null })).status).toBe(204);

    const after = await Scrape.of(t.url);
    const webrtc = after.histogram('levelchat_viewer_latency_seconds', { delivery: 'webrtc' });
    const llhls = after.histogram('levelchat_viewer_latency_seconds', { delivery: 'llhls' });
    expect(webrtc.count - webrtcBefore.count).toBe(10);
    expect(webrtc.sum - webrtcBefore.sum).toBeCloseTo(5.5, 6);
    expect(llhls.count - llhlsBefore.count).toBe(10);
    expect(llhls.sum - llhlsBefore.sum).toBeCloseTo(25.5, 6);
    expect(after.value('levelchat_viewer_rebuffers_total', { delivery: 'webrtc' }) - before.value('levelchat_viewer_rebuffers_total', { delivery: 'webrtc' })).toBe(2);
    expect(after.value('levelchat_viewer_rebuffers_total', { delivery: 'llhls' }) - before.value('levelchat_viewer_rebuffers_total', { delivery: 'llhls' })).toBe(10);

    const room = await readJson(await t.api(`/v1/rooms/${roomId}`));
    // Nearest rank over the 20 measured: p50 the 10th (1.0 s), p95 the 19th (2.9 s).
    expect(room.viewers).toEqual({ count: 21, capped: false, latency_p50_s: 1, latency_p95_s: 2.9, window_s: 15 });
  });

  it('is in the OpenAPI document, authorised by the viewer\'s token rather than an API key', async () => {
    const doc = await readJson(await fetch(`${t.url}/v1/openapi.json`));
    const post = doc.paths['/v1/rooms/{id}/telemetry'].post;
    expect(post.security).toEqual([{ roomToken: [] }]);
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['204', '401', '403', '413', '429']));
  });
});
