// WHIP/WHEP sessions as participants (werift peers, ffmpeg media; SDK users over the signaling
// socket): announced, webhooked, counted, kicked like any other; WHEP receives the program over
// werift; every refusal has its code and leaves nothing behind.
import { afterEach, describe, expect, it } from 'vitest';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { SignalingTestClient } from '../../helpers/signaling-client.js';
import { startWebhookReceiver } from '../../helpers/webhook-receiver.js';
import { feedTestPattern, postOffer, weriftOffer } from '../../helpers/werift-peer.js';
import { waitFor } from '../../../bench/lib/wait.js';

const { t } = useTestStack({ env: { LEVELCHAT_WEBRTC_VIEWER_CAP: '1' } });
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function token(room: string, identity: string, capabilities: string[], type = 'broadcast'): Promise<string> {
  const res = await t.api(`/v1/rooms/${room}/tokens`, { method: 'POST', json: { identity, capabilities, type } });
  expect(res.status).toBe(201);
  return (await readJson(res)).token as string;
}

/** A werift WHIP publisher of the ffmpeg test pattern (H.264 + an audio m-line). */
async function whip(room: string, tokenValue: string, audio = true) {
  const peer = await weriftOffer('sendonly', 'H264', audio);
  const res = await postOffer(`${t.url}/v1/rooms/${room}/whip`, tokenValue, peer.offer);
  cleanups.push(() => peer.pc.close());
  if (res.status === 201) {
    await peer.pc.setRemoteDescription({ type: 'answer', sdp: res.body });
    const feed = await feedTestPattern(peer.track, 'H264');
    cleanups.push(() => feed.stop());
  }
  return { ...res, peer };
}

async function sdkUser(room: string, identity: string, capabilities: string[]) {
  const c = await SignalingTestClient.connect(t.url);
  cleanups.push(() => c.close());
  await c.ok('join', { token: await token(room, identity, capabilities) });
  return c;
}

/** Nothing of the room is left on this node and nobody is counted in it. */
async function nothingLeft(room: string) {
  await waitFor(async () => (t.stack.liveRooms.rooms.get(room) === undefined ? true : undefined), { timeoutMs: 5000, what: `room ${room} closed here` });
  const stored = await t.api(`/v1/rooms/${room}`);
  if (stored.status === 200) expect((await readJson(stored)).participant_count ?? 0).toBe(0);
}

const problemCode = async (res: Response) => ((await res.json()) as { code: string }).code;
const post = (room: string, kind: 'whip' | 'whep', body: string, headers: Record<string, string>) =>
  fetch(`${t.url}/v1/rooms/${room}/${kind}`, { method: 'POST', headers, body });

describe('a WHIP publisher is a participant', () => {
  it('is announced to SDK users and webhooks, goes on air for WHEP players (werift), and is kicked like anyone', async () => {
    const room = 'r_whip-participant';
    const receiver = await startWebhookReceiver();
    cleanups.push(() => receiver.close());
    await t.api('/v1/webhooks', { method: 'POST', json: { url: receiver.url, events: ['participant.joined', 'track.published'] } });
    const host = await sdkUser(room, 'moderator', ['subscribe:all', 'moderate:participants']);

    const published = await whip(room, await token(room, 'obs', ['publish:camera']));
    expect(published.status, published.body).toBe(201);
    const joinedEvent = await waitFor(async () => host.events.find((e) => e.event === 'participant-joined' && (e.data as { identity: string }).identity === 'obs'), { what: 'participant-joined' });
    await waitFor(async () => (host.events.filter((e) => e.event === 'track-published').length >= 2 ? true : undefined), { what: 'two track-published' });
    await waitFor(async () => {
      const types = receiver.accepted().filter((e) => e.room_id === room).map((e) => e.type);
      return types.includes('participant.joined') && types.includes('track.published') ? true : undefined;
    }, { timeoutMs: 10_000, what: 'participant.joined and track.published webhooks' });

    // A werift WHEP player receives the program: H.264 RTP on the payload type it offered.
    const player = await weriftOffer('recvonly', 'H264');
    cleanups.push(() => player.pc.close());
    const played = await postOffer(`${t.url}/v1/rooms/${room}/whep`, await token(room, 'player', ['subscribe:all']), player.offer);
    expect(played.status, played.body).toBe(201);
    const offeredPt = Number(/a=rtpmap:(\d+) H264/.exec(player.offer)![1]);
    let packets = 0;
    let keyframes = 0;
    player.transceiver.onTrack.subscribe((track) =>
      track.onReceiveRtp.subscribe((rtp) => {
        if (rtp.header.payloadType !== offeredPt) return;
        packets += 1;
        // H.264 IDR (type 5), or an STAP-A/FU-A carrying one.
        const nal = rtp.payload[0]! & 0x1f;
        if (nal === 5 || (nal === 24 && (rtp.payload[3]! & 0x1f) === 7) || (nal === 28 && (rtp.payload[1]! & 0x1f) === 5)) keyframes += 1;
      }),
    );
    await player.pc.setRemoteDescription({ type: 'answer', sdp: played.body });
    await waitFor(async () => (packets > 50 && keyframes > 0 ? true : undefined), { timeoutMs: 10_000, what: 'H.264 with a key frame at the WHEP player' });

    // Beyond LEVELCHAT_WEBRTC_VIEWER_CAP (1 here) a player is refused with a way to LL-HLS.
    const second = await weriftOffer('recvonly', 'H264');
    cleanups.push(() => second.pc.close());
    const full = await fetch(`${t.url}/v1/rooms/${room}/whep`, { method: 'POST', headers: { 'content-type': 'application/sdp', authorization: `Bearer ${await token(room, 'late', ['subscribe:all'])}` }, body: second.offer });
    expect(full.status).toBe(503);
    expect(await problemCode(full)).toBe('webrtc_full');
    expect(full.headers.get('retry-after')).toBe('30');
    expect(full.headers.get('link')).toContain(`</hls/${room}/master.m3u8>; rel="alternate"`);

    // Kicked (and revoked) over REST: the session ends, DELETE then answers 404.
    const publisherId = (joinedEvent.data as { id: string }).id;
    expect((await t.api(`/v1/rooms/${room}/participants/obs`, { method: 'DELETE' })).status).toBe(204);
    await waitFor(async () => host.events.find((e) => e.event === 'participant-left' && (e.data as { id: string }).id === publisherId), { what: 'participant-left' });
    const gone = await fetch(`${t.url}${published.location}`, { method: 'DELETE', headers: { authorization: `Bearer ${await token(room, 'obs', ['publish:camera'])}` } });
    expect(gone.status).toBe(404);
  });

  it('ends with the room (host_ended) and leaves it when its client is gone', async () => {
    const room = 'r_whip-ended';
    const published = await whip(room, await token(room, 'obs', ['publish:camera']));
    expect(published.status).toBe(201);
    await waitFor(async () => (t.stack.liveRooms.rooms.get(room)?.tracks.size === 2 ? true : undefined), { what: 'published' });
    expect((await t.api(`/v1/rooms/${room}`, { method: 'DELETE' })).status).toBeLessThan(300);
    await nothingLeft(room);
  });

  it('publish:audio alone publishes the audio and answers the video m-line rejected', async () => {
    const room = 'r_whip-audio';
    const res = await whip(room, await token(room, 'radio', ['publish:audio']));
    expect(res.status, res.body).toBe(201);
    expect(res.body).toMatch(/m=video 0 /);
    const live = t.stack.liveRooms.rooms.get(room)!;
    expect([...live.tracks.values()].map((x) => x.source)).toEqual(['microphone']);
    const videoOnly = await weriftOffer('sendonly', 'H264');
    cleanups.push(() => videoOnly.pc.close());
    const refused = await post(room, 'whip', videoOnly.offer, { 'content-type': 'application/sdp', authorization: `Bearer ${await token(room, 'radio-2', ['publish:audio'])}` });
    expect(refused.status).toBe(403);
    expect(await problemCode(refused)).toBe('capability_required');
  });

  it('a second concurrent WHIP session of one identity: refused in a broadcast, allowed in a meeting', async () => {
    const first = await whip('r_whip-twice', await token('r_whip-twice', 'obs', ['publish:camera']));
    expect(first.status).toBe(201);
    const again = await whip('r_whip-twice', await token('r_whip-twice', 'obs', ['publish:camera']));
    expect(again.status).toBe(409);
    expect(JSON.parse(again.body).code).toBe('identity_in_use');
    expect(t.stack.liveRooms.rooms.get('r_whip-twice')!.participants.size).toBe(1);

    const meeting = await token('r_whip-meeting', 'obs', ['publish:camera'], 'meeting');
    expect((await whip('r_whip-meeting', meeting)).status).toBe(201);
    expect((await whip('r_whip-meeting', meeting)).status).toBe(201);
  });
});

describe('refusals have a code and leave nothing behind', () => {
  it('bad input', async () => {
    const room = 'r_whip-refusals';
    const good = await token(room, 'obs', ['publish:camera']);
    const { offer, pc } = await weriftOffer('sendonly', 'H264', true);
    cleanups.push(() => pc.close());
    const sdp = { 'content-type': 'application/sdp', authorization: `Bearer ${good}` };
    const cases: [string, Promise<Response>, number, string][] = [
      ['no token', post(room, 'whip', offer, { 'content-type': 'application/sdp' }), 401, 'token_required'],
      ['a bad token', post(room, 'whip', offer, { ...sdp, authorization: 'Bearer not-a-jwt' }), 401, 'token_malformed'],
      ['a token of another room', post('r_elsewhere', 'whip', offer, sdp), 403, 'token_room_mismatch'],
      ['JSON', post(room, 'whip', '{}', { ...sdp, 'content-type': 'application/json' }), 415, 'unsupported_media_type'],
      ['malformed SDP', post(room, 'whip', 'hello', sdp), 400, 'sdp_malformed'],
      ['no codec in common', post(room, 'whip', offer.replace(/H264\/90000/g, 'H265/90000').replace(/opus\/48000\/2/g, 'G722/8000'), sdp), 422, 'sdp_unsupported'],
      ['no BUNDLE', post(room, 'whip', offer.replace(/a=group:BUNDLE[^\r\n]*\r?\n/, ''), sdp), 422, 'sdp_unsupported'],
      ['a body over 64 KB', post(room, 'whip', `${offer}${'a=x-padding:0123456789abcdef\r\n'.repeat(2500)}`, sdp), 413, 'body_too_large'],
      ['WHEP without subscribe:all', post(room, 'whep', offer.replace(/a=sendonly/g, 'a=recvonly'), sdp), 403, 'capability_required'],
    ];
    for (const [what, pending, status, code] of cases) {
      const res = await pending;
      expect(res.status, what).toBe(status);
      expect(res.headers.get('content-type'), what).toContain('application/problem+json');
      const body = (await res.json()) as { code: string; detail?: string };
      expect(body.code, what).toBe(code);
      if (code === 'sdp_unsupported') expect(body.detail, what).toMatch(/H265|BUNDLE/);
    }
    await nothingLeft(room);
  });

  it('OpenAPI lists both endpoints with SDP bodies and room-token security', async () => {
    const doc = await readJson(await fetch(`${t.url}/v1/openapi.json`));
    for (const kind of ['whip', 'whep']) {
      const post = doc.paths[`/v1/rooms/{id}/${kind}`].post;
      expect(Object.keys(post.requestBody.content)).toEqual(['application/sdp']);
      expect(Object.keys(post.responses['201'].content)).toEqual(['application/sdp']);
      expect(post.security).toEqual([{ roomToken: [] }]);
      expect(doc.paths[`/v1/rooms/{id}/${kind}/{session}`].delete).toBeDefined();
      expect(doc.paths[`/v1/rooms/{id}/${kind}/{session}`].patch.requestBody.content['application/trickle-ice-sdpfrag']).toBeDefined();
    }
    expect(doc.components.securitySchemes.roomToken).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('CORS preflight, and PATCH: trickle (204), wrong entity tag (412), ICE restart (200 with new credentials and ETag)', async () => {
    const pre = await fetch(`${t.url}/v1/rooms/r_x/whip`, { method: 'OPTIONS', headers: { origin: 'https://studio.example', 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-headers')).toContain('Authorization');
    expect(pre.headers.get('accept-post')).toBe('application/sdp');

    const room = 'r_whip-patch';
    const bearer = await token(room, 'obs', ['publish:camera']);
    const res = await whip(room, bearer);
    const patch = (body: string, ifMatch: string) =>
      fetch(`${t.url}${res.location}`, { method: 'PATCH', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': ifMatch }, body });
    const ufrag = /a=ice-ufrag:(\S+)/.exec(res.peer.offer)![1];
    expect((await patch(`a=ice-ufrag:${ufrag}\r\na=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n`, res.etag!)).status).toBe(204);
    const stale = await patch(`a=ice-ufrag:${ufrag}\r\na=end-of-candidates\r\n`, '"stale"');
    expect(stale.status).toBe(412);
    expect(await problemCode(stale)).toBe('etag_mismatch');
    const restart = await patch('a=ice-ufrag:newfrag\r\na=ice-pwd:0123456789abcdef0123456789\r\n', '*');
    expect(restart.status).toBe(200);
    expect(restart.headers.get('etag')).not.toBe(res.etag);
    const fragment = await restart.text();
    expect(fragment).toMatch(/a=ice-ufrag:\S+/);
    expect(fragment).not.toContain(/a=ice-ufrag:(\S+)/.exec(res.body)![1]);
    expect(fragment).toContain('a=candidate:');
  });
});
