import { describe, expect, it } from 'vitest';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { useRoomJoiner } from '../../helpers/room-joiner.js';
import { startWebhookReceiver } from '../../helpers/webhook-receiver.js';
import { waitFor } from '../../../bench/lib/wait.js';

const { t } = useTestStack({ env: { LEVELCHAT_WEBRTC_VIEWER_CAP: '3' } });
const { token, client, joined } = useRoomJoiner(t, 'broadcast');

const HOST = ['publish:camera', 'subscribe:all', 'moderate:participants'];
const VIEWER = ['subscribe:all', 'chat:send', 'reactions:send'];

describe('broadcast rooms', () => {
  it('announce the stage one by one and the audience as a count', async () => {
    const host = await joined('r_bc', 'host', HOST);
    const viewers = [];
    for (let i = 0; i < 3; i += 1) viewers.push(await joined('r_bc', `v${i}`, VIEWER));
    expect(viewers[2]!.result.participants.map((p: { identity: string }) => p.identity)).toEqual(['host']);
    expect(viewers[2]!.result.viewer_count).toBe(3);
    expect(await host.c.waitEvent('viewer-count', (d) => d.count === 3, 6000)).toEqual({ count: 3 });
    expect(host.c.events.filter((e) => e.event === 'participant-joined')).toEqual([]);
    await viewers[0]!.c.ok('leave');
    expect(await host.c.waitEvent('viewer-count', (d) => d.count === 2, 6000)).toEqual({ count: 2 });
    expect(host.c.events.filter((e) => e.event === 'participant-left')).toEqual([]);
  });

  it('send viewers beyond the WebRTC cap to LL-HLS with a clear error', async () => {
    await joined('r_cap', 'host', HOST);
    for (let i = 0; i < 3; i += 1) await joined('r_cap', `v${i}`, VIEWER);
    const c = await client();
    const refused = await c.request('join', { token: await token('r_cap', 'v3', VIEWER) });
    expect(refused.error).toEqual({ code: 'webrtc_full', message: expect.any(String), hls_url: '/hls/r_cap/master.m3u8', playback_token: null });
    // The stage is never refused for the audience's sake.
    expect(await joined('r_cap', 'cohost', HOST)).toBeDefined();
  });

  it('let a moderator invite a viewer on stage and move them back', async () => {
    const host = await joined('r_stage', 'host', HOST);
    const v = await joined('r_stage', 'guest', VIEWER);
    const other = await joined('r_stage', 'other', VIEWER);
    expect(await v.c.errorCode('create_transport', { direction: 'send' })).toBe('capability_required');
    expect(await other.c.errorCode('invite_to_stage', { participant_id: v.id })).toBe('capability_required');
    await host.c.ok('invite_to_stage', { participant_id: v.id });
    expect(await other.c.waitEvent('stage')).toEqual({ participant_id: v.id, on_stage: true });
    expect((await other.c.waitEvent('participant-joined')).identity).toBe('guest');
    const send = await v.c.ok('create_transport', { direction: 'send' });
    await host.c.ok('remove_from_stage', { participant_id: v.id });
    expect(await other.c.waitEvent('stage', (d) => d.on_stage === false)).toEqual({ participant_id: v.id, on_stage: false });
    expect(await v.c.errorCode('produce', { transport_id: send.id, kind: 'video', source: 'camera', rtp_parameters: {} })).toBe('capability_required');
    expect(await host.c.errorCode('remove_from_stage', { participant_id: host.id })).toBe('invalid_request');
    // A single node holds everyone: an unknown id is nobody's.
    expect(await host.c.errorCode('invite_to_stage', { participant_id: 'p_0000000000000000' })).toBe('not_found');
  });
});

describe('hybrid rooms', () => {
  it('promote to a broadcast mid-session without dropping anyone', async () => {
    const receiver = await startWebhookReceiver();
    try {
      await t.api('/v1/webhooks', { method: 'POST', json: { url: receiver.url, events: ['room.promoted'] } });
      const a = await joined('r_hybrid', 'a', ['publish:camera', 'subscribe:all'], 'hybrid');
      const b = await joined('r_hybrid', 'b', ['publish:camera', 'subscribe:all'], 'hybrid');
      const early = await joined('r_hybrid', 'early-viewer', VIEWER, 'hybrid');
      expect((await a.c.waitEvent('participant-joined', (p) => p.identity === 'early-viewer')).identity).toBe('early-viewer');

      const res = await t.api('/v1/rooms/r_hybrid/promote', { method: 'POST' });
      expect(res.status).toBe(200);
      expect(await readJson(res)).toMatchObject({ type: 'hybrid', promoted: true, config: { hls: true } });
      for (const c of [a.c, b.c, early.c]) expect(await c.waitEvent('promoted')).toEqual({ hls_url: '/hls/r_hybrid/master.m3u8' });

      const late = await joined('r_hybrid', 'late-viewer', VIEWER, 'hybrid');
      expect(late.result.room.promoted).toBe(true);
      expect(late.result.participants.map((p: { identity: string }) => p.identity).sort()).toEqual(['a', 'b']);
      await new Promise((r) => setTimeout(r, 200));
      expect(a.c.events.filter((e) => e.event === 'participant-joined' && e.data.identity === 'late-viewer')).toEqual([]);
      expect(a.c.closed).toBeNull();
      expect(b.c.closed).toBeNull();

      const again = await t.api('/v1/rooms/r_hybrid/promote', { method: 'POST' });
      expect((await readJson(again)).code).toBe('already_promoted');
      await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'plain-meeting' } });
      expect((await readJson(await t.api('/v1/rooms/r_plain-meeting/promote', { method: 'POST' }))).code).toBe('not_hybrid');
      await waitFor(() => receiver.accepted().length === 1, { what: 'room.promoted webhook' });
      expect(receiver.accepted()[0]).toMatchObject({ type: 'room.promoted', room_id: 'r_hybrid' });
    } finally {
      await receiver.close();
    }
  });

  it('a moderator can promote over signaling', async () => {
    const mod = await joined('r_hybrid2', 'mod', ['moderate:participants', 'subscribe:all'], 'hybrid');
    const p = await joined('r_hybrid2', 'p', ['publish:camera'], 'hybrid');
    expect(await p.c.errorCode('promote_room')).toBe('capability_required');
    await mod.c.ok('promote_room');
    expect(await p.c.waitEvent('promoted')).toEqual({ hls_url: '/hls/r_hybrid2/master.m3u8' });
    expect(await mod.c.errorCode('promote_room')).toBe('already_promoted');
  });
});
