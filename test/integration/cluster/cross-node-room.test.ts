import { afterEach, describe, expect, it } from 'vitest';
import { viewersKey } from '../../../src/signaling/room-relay.js';
import { SignalingTestClient } from '../../helpers/signaling-client.js';
import { readJson, startTestStack, useTestStack, type TestStack } from '../../helpers/test-stack.js';
import { waitFor } from '../../../bench/lib/wait.js';

// One room on two whole nodes sharing a Redis: the publisher on the room's origin node (A), an
// audience on the other (B), which pipes the tracks from A over PipeTransports negotiated on Redis.
// One WebRTC seat per node and room, to see viewers go to the other node before LL-HLS.
const SEATS = { LEVELCHAT_WEBRTC_VIEWER_CAP: '1' };
const a = useTestStack({ env: { LEVELCHAT_NODE_ID: 'node-a', LEVELCHAT_REGION: 'eu', ...SEATS } });
const clients: SignalingTestClient[] = [];
const stacks: TestStack[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of stacks.splice(0)) await s.stop();
});

const VP8 = {
  codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'ccm', parameter: 'fir' }] }],
  encodings: [{ ssrc: 22222222 }],
  rtcp: { cname: 'cross-node' },
};
const PUBLISHER = ['publish:camera', 'subscribe:all', 'chat:send'];
const VIEWER = ['subscribe:all', 'chat:send'];

async function nodeB(): Promise<TestStack> {
  const b = await startTestStack({ after: a.t, env: { LEVELCHAT_NODE_ID: 'node-b', LEVELCHAT_REGION: 'us', ...SEATS } });
  stacks.push(b);
  return b;
}

async function token(roomId: string, identity: string, capabilities: string[]): Promise<string> {
  const res = await a.t.api(`/v1/rooms/${roomId}/tokens`, { method: 'POST', json: { identity, capabilities } });
  expect(res.status).toBe(201);
  return (await readJson(res)).token;
}

async function join(node: TestStack, roomId: string, identity: string, capabilities: string[], extra: { stage_pass?: string } = {}) {
  const c = await SignalingTestClient.connect(node.url);
  clients.push(c);
  return { c, result: await c.ok('join', { token: await token(roomId, identity, capabilities), ...extra }) };
}

async function publishVideo(c: SignalingTestClient): Promise<string> {
  const send = await c.ok('create_transport', { direction: 'send' });
  return (await c.ok('produce', { transport_id: send.id, kind: 'video', source: 'camera', rtp_parameters: VP8 })).producer_id;
}

async function createRoom(externalId: string): Promise<string> {
  const room = await readJson(await a.t.api('/v1/rooms', { method: 'POST', json: { external_id: externalId, type: 'broadcast', config: { region_hint: 'eu' } } }));
  return room.id;
}

describe('a room across two nodes', () => {
  it('lets an audience on an edge node see, consume and chat with a publisher on the origin node', async () => {
    const b = await nodeB();
    const roomId = await createRoom('cross-basic');
    const pub = await join(a.t, roomId, 'anchor', PUBLISHER);
    expect(pub.result.nodes).toEqual([`${b.url.replace(/^http/, 'ws')}/v1/rtc`]);
    const producerId = await publishVideo(pub.c);

    const viewer = await join(b, roomId, 'viewer', VIEWER);
    expect(viewer.result.participants.map((p: { identity: string }) => p.identity)).toEqual(['anchor']);
    expect(viewer.result.tracks).toEqual([expect.objectContaining({ producer_id: producerId, participant_id: pub.result.participant.id, kind: 'video', source: 'camera' })]);
    await viewer.c.ok('create_transport', { direction: 'recv' });
    const consumed = await viewer.c.ok('consume', { producer_id: producerId, rtp_capabilities: viewer.result.router_rtp_capabilities });
    expect(consumed).toMatchObject({ producer_id: producerId, participant_id: pub.result.participant.id, kind: 'video', source: 'camera' });
    // The copy piped from node A has one layer, like the original: no bandwidth estimate for the viewer.
    expect(consumed.rtp_parameters.headerExtensions.map((h: { uri: string }) => h.uri)).not.toContain('http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01');
    expect(consumed.rtp_parameters.codecs[0].rtcpFeedback.map((f: { type: string }) => f.type)).not.toContain('transport-cc');

    // Chat crosses both ways; the audience counts on every node.
    await viewer.c.ok('chat', { text: 'hello from B' });
    expect((await pub.c.waitEvent('chat')).text).toBe('hello from B');
    await pub.c.ok('chat', { text: 'hello from A' });
    expect((await viewer.c.waitEvent('chat', (m) => m.text === 'hello from A')).identity).toBe('anchor');
    expect((await pub.c.waitEvent('viewer-count', (d) => d.count === 1)).count).toBe(1);

    // Unpublishing at the origin closes the copy on the edge.
    await pub.c.ok('close_producer', { producer_id: producerId });
    expect(await viewer.c.waitEvent('track-unpublished')).toMatchObject({ producer_id: producerId });
    expect(await viewer.c.waitEvent('consumer-closed')).toMatchObject({ consumer_id: consumed.consumer_id });
  });

  it('brings a viewer watching from the edge onto the stage at the origin when a moderator invites it', async () => {
    const b = await nodeB();
    const roomId = await createRoom('cross-stage');
    const mod = await join(a.t, roomId, 'host', ['moderate:participants', 'subscribe:all', 'chat:send']);
    const guest = await join(b, roomId, 'guest', VIEWER);

    await mod.c.ok('invite_to_stage', { participant_id: guest.result.participant.id });
    const invite = await guest.c.waitEvent('stage-invite');
    expect(invite.signaling_url).toBe(`${a.t.url.replace(/^http/, 'ws')}/v1/rtc`);

    // The guest joins the origin with its token and the pass: on stage there, and it may publish.
    const onStage = await join(a.t, roomId, 'guest', VIEWER, { stage_pass: invite.stage_pass });
    expect(onStage.result.participant).toMatchObject({ identity: 'guest', on_stage: true });
    expect(await mod.c.waitEvent('participant-joined', (p) => p.identity === 'guest')).toMatchObject({ id: onStage.result.participant.id, on_stage: true });
    expect(await mod.c.waitEvent('stage', (s) => s.participant_id === onStage.result.participant.id)).toMatchObject({ on_stage: true });
    const producerId = await publishVideo(onStage.c);
    expect(await mod.c.waitEvent('track-published')).toMatchObject({ producer_id: producerId, participant_id: onStage.result.participant.id });

    // The pass is used up: joining with it again is audience (as any join without a valid pass).
    const again = await join(a.t, roomId, 'guest', VIEWER, { stage_pass: invite.stage_pass });
    expect(again.result.participant.on_stage).toBe(false);
    // An id no node holds: forwarded all the same (nobody to tell), not an error on a cluster.
    await mod.c.ok('invite_to_stage', { participant_id: 'p_0000000000000000' });
  });

  it('shows a late joiner on the edge hands and paused tracks as they are now, not as first announced', async () => {
    const b = await nodeB();
    // A meeting: no WebRTC seat cap, so every probe below can join B.
    const room = await readJson(await a.t.api('/v1/rooms', { method: 'POST', json: { external_id: 'cross-presence', type: 'meeting', config: { region_hint: 'eu' } } }));
    const pub = await join(a.t, room.id, 'anchor', [...PUBLISHER, 'hand:raise']);
    const producerId = await publishVideo(pub.c);
    await pub.c.ok('raise_hand', { raised: true });
    await pub.c.ok('pause_producer', { producer_id: producerId });

    const anchorIn = (result: { participants: { identity: string }[] }) => result.participants.find((p) => p.identity === 'anchor');
    const early = await join(b, room.id, 'early', VIEWER);
    expect(anchorIn(early.result)).toMatchObject({ hand_raised: true, on_stage: true });
    expect(early.result.tracks).toEqual([expect.objectContaining({ producer_id: producerId, paused: true })]);

    await pub.c.ok('raise_hand', { raised: false });
    await early.c.waitEvent('hand', (h) => h.raised === false);
    await pub.c.ok('resume_producer', { producer_id: producerId });
    let probes = 0;
    await waitFor(async () => (await join(b, room.id, `probe-${++probes}`, VIEWER)).result.tracks[0]?.paused === false, { what: 'the resumed track in an edge snapshot', timeoutMs: 5000 });
    const late = await join(b, room.id, 'late', VIEWER);
    expect(anchorIn(late.result)).toMatchObject({ hand_raised: false });
    expect(late.result.tracks).toEqual([expect.objectContaining({ producer_id: producerId, paused: false })]);
  });

  it('sends publishers to the origin node with wrong_node and the URL to join', async () => {
    const b = await nodeB();
    const roomId = await createRoom('cross-redirect');
    const c = await SignalingTestClient.connect(b.url);
    clients.push(c);
    const frame = await c.request('join', { token: await token(roomId, 'anchor', PUBLISHER) });
    expect(frame.error).toMatchObject({ code: 'wrong_node', signaling_url: `${a.t.url.replace(/^http/, 'ws')}/v1/rtc` });
    // A hand raiser belongs with the moderators' queue, on the origin, too.
    const hand = await SignalingTestClient.connect(b.url);
    clients.push(hand);
    expect(await hand.errorCode('join', { token: await token(roomId, 'student', ['subscribe:all', 'hand:raise']) })).toBe('wrong_node');
  });

  it('forgets the participants and tracks of a node that dies', async () => {
    const b = await nodeB();
    const roomId = await createRoom('cross-loss');
    const viewer = await join(a.t, roomId, 'viewer', VIEWER);
    // Node B becomes the origin of a second room; the viewer watches it from A.
    const other = await readJson(await a.t.api('/v1/rooms', { method: 'POST', json: { external_id: 'cross-loss-us', type: 'broadcast', config: { region_hint: 'us' } } }));
    const pub = await join(b, other.id, 'anchor', PUBLISHER);
    const producerId = await publishVideo(pub.c);
    const watcher = await join(a.t, other.id, 'watcher', VIEWER);
    expect(watcher.result.tracks.map((t: { producer_id: string }) => t.producer_id)).toEqual([producerId]);
    await watcher.c.ok('create_transport', { direction: 'recv' });
    await watcher.c.ok('consume', { producer_id: producerId, rtp_capabilities: watcher.result.router_rtp_capabilities });

    await b.stop();
    stacks.splice(stacks.indexOf(b), 1);
    expect(await watcher.c.waitEvent('track-unpublished', () => true, 10_000)).toMatchObject({ producer_id: producerId });
    expect(await watcher.c.waitEvent('participant-left', () => true, 10_000)).toMatchObject({ identity: 'anchor' });
    await waitFor(() => watcher.c.events.some((e) => e.event === 'consumer-closed'), { timeoutMs: 10_000, what: 'the piped consumer closing' });
    expect(viewer.c.closed).toBeNull();
  });

  it('sends a viewer to another node with WebRTC seats left before falling back to LL-HLS', async () => {
    const b = await nodeB();
    const roomId = await createRoom('cross-seats');
    await join(a.t, roomId, 'anchor', PUBLISHER);
    await join(a.t, roomId, 'first', VIEWER);
    const second = await SignalingTestClient.connect(a.t.url);
    clients.push(second);
    const redirected = await second.request('join', { token: await token(roomId, 'second', VIEWER) });
    expect(redirected.error).toMatchObject({ code: 'wrong_node', signaling_url: `${b.url.replace(/^http/, 'ws')}/v1/rtc` });
    await join(b, roomId, 'second', VIEWER);
    // Once both nodes have reported their audience (every 2 s), nobody has a seat: LL-HLS.
    await waitFor(async () => (await a.redis.hgetall(viewersKey(roomId)))['node-b'] === '1' || null, { what: 'node B reporting its viewer' });
    await waitFor(async () => (await a.redis.hgetall(viewersKey(roomId)))['node-a'] === '1' || null, { what: 'node A reporting its viewer' });
    const third = await SignalingTestClient.connect(a.t.url);
    clients.push(third);
    expect((await third.request('join', { token: await token(roomId, 'third', VIEWER) })).error).toMatchObject({ code: 'webrtc_full', hls_url: `/hls/${roomId}/master.m3u8` });
  });
});
