import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { SignalingTestClient } from '../../helpers/signaling-client.js';

const { t } = useTestStack();

const master = (roomId: string, token?: string) => fetch(`${t.url}/hls/${roomId}/master.m3u8${token ? `?token=${encodeURIComponent(token)}` : ''}`);

describe('LL-HLS playback of a registration-gated webinar', () => {
  it('needs a valid playback token on every request; open rooms do not', async () => {
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'gated', type: 'webinar' } });
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'other-gated', type: 'webinar' } });
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'open-show', type: 'broadcast' } });

    const none = await master('r_gated');
    expect(none.status).toBe(403);
    expect((await readJson(none)).code).toBe('playback_token_required');
    expect((await readJson(await master('r_gated', 'forged'))).code).toBe('playback_token_invalid');
    expect((await fetch(`${t.url}/hls/r_gated/v1/index.m3u8`)).status).toBe(403);
    expect((await fetch(`${t.url}/hls/r_gated/v1/seg1.m4s`)).status).toBe(403);

    const admitted = await readJson(await t.api('/v1/rooms/r_gated/registrations', { method: 'POST', json: { identity: 'ann' } }));
    expect(admitted.playback_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hls\/r_gated\/master\.m3u8\?token=ey/);
    const token = new URL(admitted.playback_url).searchParams.get('token')!;
    // Admitted: the stream itself is not on air yet.
    expect((await readJson(await master('r_gated', token))).code).toBe('stream_not_found');
    // A token for another room does not open this one.
    const other = await readJson(await t.api('/v1/rooms/r_other-gated/registrations', { method: 'POST', json: { identity: 'ann' } }));
    expect((await readJson(await master('r_gated', new URL(other.playback_url).searchParams.get('token')!))).code).toBe('playback_token_invalid');
    // A room token is not a playback token.
    expect((await readJson(await master('r_gated', admitted.token))).code).toBe('playback_token_invalid');

    expect((await readJson(await master('r_open-show'))).code).toBe('stream_not_found');
  });

  it('a participant who may subscribe gets a playback token over signaling', async () => {
    const res = await t.api('/v1/rooms/r_gated/tokens', { method: 'POST', json: { identity: 'host', capabilities: ['publish:camera', 'subscribe:all'] } });
    const c = await SignalingTestClient.connect(t.url);
    try {
      await c.ok('join', { token: (await readJson(res)).token });
      const { hls_url, playback_token } = await c.ok('playback_token');
      expect(hls_url).toBe('/hls/r_gated/master.m3u8');
      expect((await readJson(await master('r_gated', playback_token))).code).toBe('stream_not_found');
    } finally {
      c.close();
    }
  });
});

describe('signed LL-HLS playback of any broadcast (issue 17 row 9)', () => {
  it('a broadcast with config.playback signed needs a REST-minted playback token; the default stays public', async () => {
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'signed-show', type: 'broadcast', config: { playback: 'signed' } } });
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'guessable-show', type: 'live' } });
    expect((await readJson(await t.api('/v1/rooms/r_signed-show'))).config.playback).toBe('signed');
    expect((await readJson(await t.api('/v1/rooms/r_guessable-show'))).config.playback).toBe('public');

    for (const path of ['master.m3u8', 'v1/index.m3u8', 'v1/seg1.m4s']) {
      const res = await fetch(`${t.url}/hls/r_signed-show/${path}`);
      expect(res.status).toBe(403);
      expect((await readJson(res)).code).toBe('playback_token_required');
    }
    const minted = await t.api('/v1/rooms/r_signed-show/playback-tokens', { method: 'POST', json: { identity: 'viewer-1', ttl_s: 600 } });
    expect(minted.status).toBe(201);
    const { token, playback_url, expires_at } = await readJson(minted);
    expect(playback_url).toBe(`${t.url}/hls/r_signed-show/master.m3u8?token=${token}`);
    expect(Date.parse(expires_at) - Date.now()).toBeGreaterThan(590_000);
    expect((await readJson(await master('r_signed-show', token))).code).toBe('stream_not_found');
    expect((await readJson(await master('r_signed-show', 'forged'))).code).toBe('playback_token_invalid');
    expect((await readJson(await master('r_guessable-show'))).code).toBe('stream_not_found');

    // Another key cannot mint for this room; a meeting has no LL-HLS to sign.
    const other = await readJson(await t.api('/v1/keys', { method: 'POST', json: { name: 'other tenant' } }));
    expect((await t.api('/v1/rooms/r_signed-show/playback-tokens', { method: 'POST', key: other.key, json: { identity: 'x' } })).status).toBe(404);
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'plain-meeting', type: 'meeting' } });
    const meeting = await t.api('/v1/rooms/r_plain-meeting/playback-tokens', { method: 'POST', json: { identity: 'x' } });
    expect(meeting.status).toBe(409);
    expect((await readJson(meeting)).code).toBe('hls_off');
    expect((await t.api('/v1/rooms/r_signed-show/playback-tokens', { method: 'POST', json: { identity: 'x', ttl_s: 100_000 } })).status).toBe(400);
  });
});

describe('LL-HLS requests for rooms that do not exist (issue 17 row 6)', () => {
  it('answer 404 and leave nothing behind: no subscription, whatever the number of made-up ids', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `r_made-up-${i}`);
    const answers = await Promise.all(ids.map((id) => fetch(`${t.url}/hls/${id}/master.m3u8`)));
    for (const res of answers) {
      expect(res.status).toBe(404);
      expect((await readJson(res)).code).toBe('stream_not_found');
    }
    const redis = new Redis(t.redisUrl);
    try {
      expect(await redis.pubsub('CHANNELS', '*made-up*')).toEqual([]);
    } finally {
      await redis.quit();
    }
  });
});
