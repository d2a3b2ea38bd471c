// A stage invitation across two nodes in Chromium: the host moderates a broadcast on the room's
// origin node (A); a guest watches from another node (B). Invited, the guest's SDK moves to A,
// arrives on stage, publishes its camera, and the host decodes it.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { signalingUrlOf } from '../../src/signaling/protocol.js';
import { startTestStack, type TestStack } from '../helpers/test-stack.js';
import { arg, callOrThrow, joinOrThrow, mintToken, openHarness, waitEvents, webrtcFramesGrow } from '../../bench/lib/browser-kit.js';
import { useBrowserStack } from './browser-stack.js';

const { t, browser } = useBrowserStack({ env: { LEVELCHAT_NODE_ID: 'stage-a', LEVELCHAT_REGION: 'eu' } });
let b: TestStack | undefined;
afterAll(async () => {
  await b?.stop();
});

describe('stage invitation across nodes in Chromium', () => {
  it('moves a guest watching from an edge node onto the stage at the origin, where the host sees its camera', { timeout: 60_000 }, async () => {
    b = await startTestStack({ after: t, env: { LEVELCHAT_NODE_ID: 'stage-b', LEVELCHAT_REGION: 'us' } });
    const res = await t.api('/v1/rooms', { method: 'POST', json: { external_id: `e2e-stage-${randomBytes(4).toString('hex')}`, type: 'broadcast', config: { region_hint: 'eu' } } });
    const roomId = ((await res.json()) as { id: string }).id;

    const host = await openHarness(browser, t.url, 'host');
    const hostToken = await mintToken(t.url, t.apiKey, roomId, 'host', ['moderate:participants', 'subscribe:all', 'chat:send'], 'broadcast');
    await joinOrThrow(host, { token: hostToken.token, signalingUrl: hostToken.signaling_url, roomType: 'broadcast' }, 'host');

    // The guest watches from B (an audience token may join any node).
    const guest = await openHarness(browser, b.url, 'guest');
    const guestToken = await mintToken(t.url, t.apiKey, roomId, 'guest', ['subscribe:all', 'chat:send'], 'broadcast');
    const onB = await joinOrThrow(guest, { token: guestToken.token, signalingUrl: signalingUrlOf(b.url), roomType: 'broadcast' }, 'guest');

    await callOrThrow(host, 'inviteToStage', onB.participantId);
    const [stage] = await waitEvents(guest, 'stage', (e) => arg<{ onStage: boolean }>(e).onStage);
    const onA = arg<{ participantId: string }>(stage!).participantId;
    expect(onA).not.toBe(onB.participantId);
    await waitEvents(host, 'participant-joined', (e) => arg<{ id: string }>(e).id === onA);

    await callOrThrow(guest, 'publishCamera');
    expect(await webrtcFramesGrow(host, onA)).toBeGreaterThan(0);
  });
});
