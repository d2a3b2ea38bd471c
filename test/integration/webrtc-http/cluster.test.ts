// WHIP and WHEP on every node of a cluster (two whole nodes on one Redis; werift peers): a WHIP
// POST to a node that does not hold the room's origin is redirected there (307, as RFC 9725
// allows), and a WHEP player on the other node receives the program piped from the origin.
import { afterEach, describe, expect, it } from 'vitest';
import { readJson, startTestStack, useTestStack, type TestStack } from '../../helpers/test-stack.js';
import { feedTestPattern, postOffer, weriftOffer } from '../../helpers/werift-peer.js';
import { waitFor } from '../../../bench/lib/wait.js';

const a = useTestStack({ env: { LEVELCHAT_NODE_ID: 'whip-a', LEVELCHAT_REGION: 'eu' } });
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function token(roomId: string, identity: string, capabilities: string[]): Promise<string> {
  const res = await a.t.api(`/v1/rooms/${roomId}/tokens`, { method: 'POST', json: { identity, capabilities, type: 'broadcast' } });
  return (await readJson(res)).token;
}

describe('WHIP and WHEP across nodes', () => {
  it('WHIP on the edge is redirected to the origin; WHEP on the edge plays the program through the pipes', async () => {
    const b: TestStack = await startTestStack({ after: a.t, env: { LEVELCHAT_NODE_ID: 'whip-b', LEVELCHAT_REGION: 'us' } });
    cleanups.push(() => b.stop());
    const room = (await readJson(await a.t.api('/v1/rooms', { method: 'POST', json: { external_id: 'whip-cluster', type: 'broadcast', config: { region_hint: 'eu' } } }))).id as string;

    const publisher = await weriftOffer('sendonly', 'H264', true);
    cleanups.push(() => publisher.pc.close());
    const whipToken = await token(room, 'obs', ['publish:camera']);
    const redirected = await postOffer(`${b.url}/v1/rooms/${room}/whip`, whipToken, publisher.offer);
    expect(redirected.status).toBe(307);
    expect(redirected.location).toBe(`${a.t.url}/v1/rooms/${room}/whip`);
    expect(b.stack.liveRooms.rooms.get(room)).toBeUndefined();
    const published = await postOffer(redirected.location!, whipToken, publisher.offer);
    expect(published.status, published.body).toBe(201);
    await publisher.pc.setRemoteDescription({ type: 'answer', sdp: published.body });
    const feed = await feedTestPattern(publisher.track, 'H264');
    cleanups.push(() => feed.stop());
    await waitFor(async () => (a.t.stack.liveRooms.rooms.get(room)?.tracks.size === 2 ? true : undefined), { what: 'WHIP tracks on the origin' });

    const player = await weriftOffer('recvonly', 'H264', true);
    cleanups.push(() => player.pc.close());
    const played = await postOffer(`${b.url}/v1/rooms/${room}/whep`, await token(room, 'viewer', ['subscribe:all']), player.offer);
    expect(played.status, played.body).toBe(201);
    let packets = 0;
    player.transceiver.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(() => (packets += 1)));
    await player.pc.setRemoteDescription({ type: 'answer', sdp: played.body });
    await waitFor(async () => (packets > 50 ? true : undefined), { timeoutMs: 15_000, what: 'program RTP at the edge player' });
    expect(b.stack.liveRooms.rooms.get(room)!.viewerCount).toBe(1);
    // The audience adds up over the nodes, as for SDK viewers.
    await waitFor(async () => (a.t.stack.liveRooms.rooms.get(room)!.audience === 1 ? true : undefined), { timeoutMs: 10_000, what: 'the edge player in the origin\'s audience' });
  });
});
