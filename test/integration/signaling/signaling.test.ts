import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { useRoomJoiner } from '../../helpers/room-joiner.js';
import { startWebhookReceiver } from '../../helpers/webhook-receiver.js';
import { waitFor } from '../../../bench/lib/wait.js';

const { t } = useTestStack({ env: { LEVELCHAT_WORKERS: '2', LEVELCHAT_CONSUMERS_PER_ROUTER: '2' } });
const { token, client, joined } = useRoomJoiner(t);

const ALL = ['publish:camera', 'publish:screen', 'subscribe:all', 'chat:send', 'reactions:send', 'hand:raise'];

describe('join', () => {
  it('answers with room info, router capabilities, participants, and marks the room active', async () => {
    const a = await joined('r_sig-join', 'alice', ALL);
    expect(a.result.room).toMatchObject({ id: 'r_sig-join', type: 'meeting' });
    expect(a.result.participant).toMatchObject({ identity: 'alice', capabilities: ALL });
    expect(a.result.router_rtp_capabilities.codecs.map((c: { mimeType: string }) => c.mimeType)).toEqual(expect.arrayContaining(['audio/opus', 'video/VP8', 'video/H264']));
    expect(a.result.resume_token).toEqual(expect.any(String));
    const b = await joined('r_sig-join', 'bob', ALL);
    expect(b.result.participants.map((p: { identity: string }) => p.identity)).toEqual(['alice']);
    expect((await a.c.waitEvent('participant-joined')).identity).toBe('bob');
    expect((await readJson(await t.api('/v1/rooms/r_sig-join'))).state).toBe('active');

    await b.c.ok('leave');
    expect((await a.c.waitEvent('participant-left')).identity).toBe('bob');
  });

  it('refuses bad tokens with stable codes', async () => {
    const c = await client();
    expect(await c.errorCode('join', { token: 'nope' })).toBe('token_malformed');
    const good = await token('r_sig-bad', 'x', []);
    const [h, p, s] = good.split('.');
    expect(await c.errorCode('join', { token: `${h}.${p}.${s!.slice(0, -2)}xx` })).toBe('token_invalid');
    expect(await c.errorCode('join', { token: `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), caps: ['moderate:participants'] })).toString('base64url')}.${s}` })).toBe('token_invalid');
    expect(await c.errorCode('chat', { text: 'hi' })).toBe('not_joined');
    expect(await c.errorCode('fly', {})).toBe('unknown_method');
    expect(await c.errorCode('join', { token: good, extra: 1 })).toBe('invalid_request');
  });

  it('answers malformed frames with error frames and survives them', async () => {
    const c = await client();
    c.ws.send('not json');
    c.ws.send(JSON.stringify({ method: 'join' }));
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await waitFor(() => c.events.filter((e) => e.event === 'error').length === 3, { what: 'three error frames' });
    expect(c.events.map((e) => e.data.code)).toEqual(['invalid_frame', 'invalid_frame', 'invalid_frame']);
    expect(await c.ok('join', { token: await token('r_sig-frames', 'x', []) })).toBeDefined();
  });

  it('closes a socket that does not join within 5 s', async () => {
    const c = await client();
    const closed = await c.waitClosed(8000);
    expect(closed.code).toBe(4008);
    expect(c.events[0]).toEqual({ event: 'error', data: { code: 'join_timeout', message: expect.any(String) } });
  }, 10_000);

  it('refuses frames over 64 KB by closing the socket', async () => {
    const c = await client();
    c.ws.send(JSON.stringify({ id: 1, method: 'join', data: { token: 'x'.repeat(70_000) } }));
    expect((await c.waitClosed()).code).toBe(1009);
  });

  it('enforces max_participants: a 1to1 refuses the third participant with room_full', async () => {
    await joined('r_sig-1to1', 'a', ALL, '1to1');
    await joined('r_sig-1to1', 'b', ALL, '1to1');
    const c = await client();
    expect(await c.errorCode('join', { token: await token('r_sig-1to1', 'c', ALL) })).toBe('room_full');
    expect((await readJson(await t.api('/v1/rooms/r_sig-1to1'))).participant_count).toBe(2);
  });

  it('refuses revoked tokens at join and at use, and kicks the holder', async () => {
    const a = await joined('r_sig-revoke', 'eve', ALL);
    const stale = await token('r_sig-revoke', 'eve', ALL);
    expect((await t.api('/v1/rooms/r_sig-revoke/participants/eve', { method: 'DELETE' })).status).toBe(204);
    expect(await a.c.waitEvent('kicked')).toEqual({ reason: 'revoked' });
    expect((await a.c.waitClosed()).code).toBe(4001);
    const again = await client();
    expect(await again.errorCode('join', { token: stale })).toBe('token_revoked');
    const fresh = await client();
    expect(await fresh.ok('join', { token: await token('r_sig-revoke', 'eve', ALL) })).toBeDefined();
  });
});

describe('capabilities are enforced at use', () => {
  it('refuses publish, subscribe, chat, reactions, hand and moderation without their capability', async () => {
    const viewer = await joined('r_sig-caps', 'viewer', ['subscribe:all']);
    expect(await viewer.c.errorCode('create_transport', { direction: 'send' })).toBe('capability_required');
    expect(await viewer.c.errorCode('chat', { text: 'hello' })).toBe('capability_required');
    expect(await viewer.c.errorCode('reaction', { emoji: '👍' })).toBe('capability_required');
    expect(await viewer.c.errorCode('raise_hand', { raised: true })).toBe('capability_required');
    expect(await viewer.c.errorCode('kick_participant', { participant_id: 'p_x' })).toBe('capability_required');
    expect(await viewer.c.errorCode('end_room')).toBe('capability_required');

    const publisher = await joined('r_sig-caps', 'cam-only', ['publish:camera']);
    expect(await publisher.c.errorCode('create_transport', { direction: 'recv' })).toBe('capability_required');
    const send = await publisher.c.ok('create_transport', { direction: 'send' });
    expect(send).toMatchObject({ id: expect.any(String), ice_parameters: expect.any(Object), dtls_parameters: expect.any(Object) });
    expect(send.ice_candidates[0]).toMatchObject({ ip: '127.0.0.1' });
    expect(await publisher.c.errorCode('produce', { transport_id: send.id, kind: 'video', source: 'screen', rtp_parameters: {} })).toBe('capability_required');
    expect(await publisher.c.errorCode('produce', { transport_id: send.id, kind: 'audio', source: 'camera', rtp_parameters: {} })).toBe('invalid_request');
    expect(await publisher.c.errorCode('produce', { transport_id: send.id, kind: 'video', source: 'camera', rtp_parameters: { bogus: true } })).toBe('media_error');
    expect(await publisher.c.errorCode('consume', { producer_id: 'x', rtp_capabilities: {} })).toBe('capability_required');
    expect(await publisher.c.errorCode('connect_transport', { transport_id: 'not-mine', dtls_parameters: {} })).toBe('not_found');
  });
});

describe('chat, reactions, hands, moderation', () => {
  it('chat is broadcast, persisted and replayed on join; reactions are rate-limited', async () => {
    const a = await joined('r_sig-chat', 'ann', ALL);
    const b = await joined('r_sig-chat', 'ben', ALL);
    const sent = await a.c.ok('chat', { text: 'hello room' });
    expect(sent.message).toMatchObject({ identity: 'ann', text: 'hello room' });
    expect(await b.c.waitEvent('chat')).toMatchObject({ text: 'hello room', participant_id: a.result.participant.id });
    const late = await joined('r_sig-chat', 'cat', ['subscribe:all']);
    expect(late.result.chat_history.map((m: { text: string }) => m.text)).toEqual(['hello room']);

    await a.c.ok('reaction', { emoji: '🎉' });
    expect(await b.c.waitEvent('reaction')).toEqual({ participant_id: a.result.participant.id, emoji: '🎉' });
    const codes = await Promise.all(Array.from({ length: 30 }, () => a.c.errorCode('reaction', { emoji: '🔥' })));
    expect(codes).toContain('rate_limited');
    const chats = await Promise.all(Array.from({ length: 20 }, (_, i) => a.c.errorCode('chat', { text: `spam ${i}` })));
    expect(chats).toContain('rate_limited');

    await b.c.ok('raise_hand', { raised: true });
    expect(await a.c.waitEvent('hand')).toEqual({ participant_id: b.result.participant.id, raised: true });
  });

  it('a moderator kicks a participant and ends the room for everyone', async () => {
    const mod = await joined('r_sig-mod', 'mod', ['moderate:participants', 'subscribe:all']);
    const a = await joined('r_sig-mod', 'troll', ALL);
    const b = await joined('r_sig-mod', 'guest', ALL);
    await mod.c.ok('kick_participant', { participant_id: a.result.participant.id });
    expect(await a.c.waitEvent('kicked')).toEqual({ reason: 'kicked' });
    expect(await b.c.waitEvent('participant-left')).toMatchObject({ identity: 'troll' });
    const retry = await client();
    // Kicking revoked the old token; a token minted afterwards is an explicit re-invite.
    expect(await retry.errorCode('join', { token: await token('r_sig-mod', 'troll', ALL) })).toBeUndefined();

    await mod.c.ok('end_room');
    expect(await b.c.waitEvent('room-ended')).toEqual({ reason: 'host_ended' });
    expect((await b.c.waitClosed()).code).toBe(4002);
    expect((await readJson(await t.api('/v1/rooms/r_sig-mod'))).state).toBe('ended');
  });
});

describe('lifecycle and webhooks driven by signaling', () => {
  it('DELETE /v1/rooms/{id} ends the room for every participant with host_ended', async () => {
    const a = await joined('r_sig-delete', 'a', ALL);
    const b = await joined('r_sig-delete', 'b', ['subscribe:all']);
    expect((await t.api('/v1/rooms/r_sig-delete', { method: 'DELETE' })).status).toBe(200);
    for (const c of [a.c, b.c]) {
      expect(await c.waitEvent('room-ended')).toEqual({ reason: 'host_ended' });
      await c.waitClosed();
    }
    const late = await t.api('/v1/rooms/r_sig-delete/tokens', { method: 'POST', json: { identity: 'late', capabilities: [] } });
    expect((await readJson(late)).code).toBe('room_ended');
  });

  it('sends participant.joined/left webhooks and frees every router when the room empties', async () => {
    const receiver = await startWebhookReceiver();
    try {
      await t.api('/v1/webhooks', { method: 'POST', json: { url: receiver.url, events: ['participant.joined', 'participant.left', 'room.started', 'room.ended'] } });
      const a = await joined('r_sig-hooks', 'a', ALL);
      const send = await a.c.ok('create_transport', { direction: 'send' });
      const recv = await a.c.ok('create_transport', { direction: 'recv' });
      expect(send.id).not.toBe(recv.id);
      const routers = t.stack.liveRooms.rooms.get('r_sig-hooks')!.media.allTiers.map((tier) => tier.router);
      expect(routers.length).toBeGreaterThan(0);
      await a.c.ok('leave');
      await waitFor(() => receiver.accepted().filter((e) => e.room_id === 'r_sig-hooks').length === 4, { what: 'four events' });
      expect(receiver.accepted().filter((e) => e.room_id === 'r_sig-hooks').map((e) => e.type)).toEqual(['room.started', 'participant.joined', 'participant.left', 'room.ended']);
      expect(t.stack.liveRooms.rooms.get('r_sig-hooks')).toBeUndefined();
      expect(routers.every((r) => r.closed)).toBe(true);
      const live = new Set((await Promise.all(t.stack.workers.all.map((w) => w.dump()))).flatMap((d) => d.routerIds));
      for (const r of routers) expect(live.has(r.id)).toBe(false);
    } finally {
      await receiver.close();
    }
  });

  it('a dropped socket resumes within 10 s as the same participant, without a new join', async () => {
    const other = await joined('r_sig-resume', 'watcher', ALL);
    const a = await joined('r_sig-resume', 'mover', ALL);
    const tokenA = await token('r_sig-resume', 'mover', ALL);
    a.c.ws.terminate();
    await new Promise((r) => setTimeout(r, 300));
    const back = await client();
    const resumed = await back.ok('resume', { token: tokenA, participant_id: a.result.participant.id, resume_token: a.result.resume_token });
    expect(resumed.participant.id).toBe(a.result.participant.id);
    await back.ok('chat', { text: 'still here' });
    expect(await other.c.waitEvent('chat')).toMatchObject({ participant_id: a.result.participant.id });
    expect(other.c.events.filter((e) => e.event === 'participant-left')).toEqual([]);
    const wrong = await client();
    expect(await wrong.errorCode('resume', { token: tokenA, participant_id: a.result.participant.id, resume_token: 'nope' })).toBe('resume_failed');
  });
});

describe('transport', () => {
  it('only upgrades on /v1/rtc', async () => {
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/elsewhere`);
    const outcome = await new Promise<string>((resolve) => {
      ws.on('open', () => resolve('open'));
      ws.on('error', () => resolve('refused'));
      ws.on('unexpected-response', (_req, res) => resolve(`http ${res.statusCode}`));
    });
    expect(outcome).toBe('http 404');
    ws.terminate();
  });
});

describe('scoped tokens', () => {
  it('a publisher token without subscribe:* sees nobody, but can still chat', async () => {
    const a = await joined('r_sig-blind', 'watcher', ALL);
    const blind = await joined('r_sig-blind', 'blind', ['publish:camera', 'chat:send']);
    expect(blind.result.participants).toEqual([]);
    expect(blind.result.tracks).toEqual([]);
    const c = await joined('r_sig-blind', 'late', ALL);
    expect((await a.c.waitEvent('participant-joined', (p) => p.identity === 'late')).identity).toBe('late');
    await c.c.ok('chat', { text: 'hello' });
    expect(await blind.c.waitEvent('chat')).toMatchObject({ text: 'hello' });
    expect(blind.c.events.filter((e) => e.event === 'participant-joined')).toEqual([]);
    // The others do see the publisher.
    expect(c.result.participants.map((p: { identity: string }) => p.identity).sort()).toEqual(['blind', 'watcher']);
  });
});
