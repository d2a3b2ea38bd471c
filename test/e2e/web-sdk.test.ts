// @levelchat/web end to end: real Chromium pages (fake camera + microphone) load the SDK from a real
// node (real Redis, S3 and two mediasoup workers; an edge router opens after 2 consumers) and talk
// to each other through it. Pages are /harness.html, which drives the SDK and records its events.
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../players/demo/harness-api.js';
import { readJson } from '../helpers/test-stack.js';
import { waitFor } from '../../bench/lib/wait.js';
import { arg, h, joinOrThrow, mintToken, openHarness, waitEvents } from '../../bench/lib/browser-kit.js';
import { useBrowserStack } from './browser-stack.js';

const { t: stack, browser } = useBrowserStack({ env: { LEVELCHAT_WORKERS: '2', LEVELCHAT_CONSUMERS_PER_ROUTER: '2' } });

function logPageErrors(page: Page): void {
  page.on('pageerror', (err) => console.error('[page error]', err.message));
}

async function closePage(page: Page): Promise<void> {
  await page.context().close();
}

const mint = (roomId: string, identity: string, capabilities: string[]) => mintToken(stack.url, stack.apiKey, roomId, identity, capabilities, 'meeting');

async function joinAs(roomId: string, identity: string, capabilities: string[]): Promise<{ page: Page; id: string; token: string; url: string }> {
  const [page, minted] = await Promise.all([openHarness(browser, stack.url, identity), mint(roomId, identity, capabilities)]);
  const joined = await joinOrThrow(page, { token: minted.token, signalingUrl: minted.signaling_url, roomType: 'meeting' }, identity);
  return { page, id: joined.participantId, token: minted.token, url: minted.signaling_url };
}

const roomId = (label: string) => `r_e2e-${label}-${randomBytes(4).toString('hex')}`;

const PUBLISHER = ['publish:camera', 'subscribe:all', 'chat:send', 'hand:raise'];
const VIEWER = ['subscribe:all', 'chat:send', 'reactions:send'];

describe('@levelchat/web in Chromium', () => {
  it('serves the SDK bundle and the demo console', async () => {
    const sdk = await fetch(`${stack.url}/sdk/levelchat-web.js`);
    expect(sdk.status).toBe(200);
    expect(sdk.headers.get('content-type')).toMatch(/javascript/);
    const code = await sdk.text();
    expect(code).toMatch(/export\s*\{[^}]*as LevelChat/);
    expect(code).not.toMatch(/from\s*"node:|require\("(fs|net|crypto)"\)/);
    const demo = await fetch(`${stack.url}/`);
    expect(demo.status).toBe(200);
    expect(await demo.text()).toContain('LevelChat demo console');
  });

  it('the demo console: API key → room → token → join → camera; a join link shows the tile and live stats', async () => {
    const host = await (await browser.newContext()).newPage();
    logPageErrors(host);
    await host.goto(`${stack.url}/`);
    await host.fill('#api-key', stack.apiKey);
    await host.dispatchEvent('#api-key', 'change');
    await host.selectOption('#room-type', 'meeting');
    await host.click('#create-room');
    // The console runs under a CSP without 'unsafe-eval': wait from here, not with string predicates in the page.
    await expect.poll(() => host.inputValue('#room-id'), { timeout: 5000 }).toMatch(/^r_/);
    await host.fill('#identity', 'demo-host');
    await host.click('#mint');
    await expect.poll(async () => (await host.inputValue('#token')).length, { timeout: 5000 }).toBeGreaterThan(20);
    expect(await host.evaluate(`sessionStorage.getItem('levelchat.apiKey')`)).toBe(stack.apiKey);
    const demoRoom = await host.locator('#room-id').inputValue();
    await host.click('#join');
    await host.waitForSelector('#live:not([hidden])', { timeout: 5000 });
    await host.click('#camera');
    await host.waitForSelector('#tile-local-camera video', { timeout: 5000 });

    // A second person with their own token opens the join link.
    const guestToken = await mint(demoRoom, 'demo-guest', VIEWER);
    const guest = await (await browser.newContext()).newPage();
    logPageErrors(guest);
    // Join links carry the token in the fragment (issue 17): never sent to a server, cleared once read.
    await guest.goto(`${stack.url}/#room=${encodeURIComponent(demoRoom)}&token=${encodeURIComponent(guestToken.token)}`);
    expect(new URL(guest.url()).hash).toBe('');
    await guest.click('#join');
    await guest.waitForSelector('#tiles .tile video', { timeout: 8000 });
    // live stats: a positive kbit/s on a received track
    await expect.poll(async () => (await guest.locator('#stats tbody tr td:nth-child(2)').allTextContents()).some((kbps) => Number(kbps) > 0), { timeout: 8000 }).toBe(true);
    await expect.poll(() => host.textContent('#people'), { timeout: 5000 }).toContain('demo-guest');
    await Promise.all([host.context().close(), guest.context().close()]);
  }, 30_000);

  it('a publisher reaches two viewers on different routers; the guide events fire; DELETE kicks everyone', async () => {
    const id = roomId('main');
    const a = await joinAs(id, 'alice', PUBLISHER);
    const cam = await h(a.page, 'call', 'publishCamera');
    const mic = await h(a.page, 'call', 'publishMicrophone');
    expect(cam.ok && mic.ok, JSON.stringify([cam, mic])).toBe(true);

    // B and C one after the other: each reserves room for A's two tracks, so they land on different routers.
    const b = await joinAs(id, 'bob', VIEWER);
    const bTracks = await waitEvents(b.page, 'track-subscribed', () => true, 2);
    const c = await joinAs(id, 'carol', ['subscribe:all', 'chat:send']);
    const cTracks = await waitEvents(c.page, 'track-subscribed', () => true, 2);
    for (const tracks of [bTracks, cTracks]) {
      expect(tracks.map((t) => arg<{ kind: string }>(t).kind).sort()).toEqual(['audio', 'video']);
      expect(tracks.every((t) => arg<{ participantId: string }>(t).participantId === a.id)).toBe(true);
      expect(arg<{ track: { kind: string } }>(tracks[0]!).track.kind).toBeDefined();
    }

    // Both viewers decode frames.
    for (const viewer of [b, c]) {
      await waitFor(async () => ((await h(viewer.page, 'framesDecoded'))[a.id] ?? 0) > 5, { what: 'decoded frames' });
      await waitFor(async () => (await h(viewer.page, 'inboundFramesDecoded')).some((n) => n > 0), { what: 'inbound-rtp framesDecoded' });
    }

    // The server put B and C on different routers, each with consumers.
    const live = stack.stack.liveRooms.rooms.get(id)!;
    const tiers = live.media.allTiers.filter((t) => t.consumers > 0);
    expect(tiers.length).toBeGreaterThanOrEqual(2);
    const routerOf = (pid: string) => live.participants.get(pid)!.media.recvTransport!.slot.tier.router.id;
    expect(routerOf(b.id)).not.toBe(routerOf(c.id));

    // The camera went up as three simulcast layers (VP8 meeting room).
    const camera = [...live.tracks.values()].find((t) => t.source === 'camera')!;
    expect(camera.producer.type).toBe('simulcast');
    expect(camera.producer.rtpParameters.encodings?.length).toBe(3);

    // participant-joined with identity, on the publisher's side.
    const joined = await waitEvents(a.page, 'participant-joined', () => true, 2);
    expect(joined.map((e) => arg<{ identity: string }>(e).identity).sort()).toEqual(['bob', 'carol']);
    expect(joined.map((e) => arg<{ id: string }>(e).id).sort()).toEqual([b.id, c.id].sort());

    // connection-quality: a numeric rtt for the viewer itself within ~5 s of subscribing.
    const quality = await waitEvents(b.page, 'connection-quality', (e) => e.args[0] === b.id && typeof arg<{ rtt: unknown }>(e, 1).rtt === 'number', 1, 6000);
    expect(arg<{ rtt: number; fractionLost: number | null }>(quality[0]!, 1).rtt).toBeGreaterThanOrEqual(0);

    // Refused actions reject with { code, message } and fire `error`: a viewer cannot publish (client-side
    // check), a publisher without reactions:send cannot react (refused by the server).
    const refused = await h(b.page, 'call', 'publishCamera');
    expect(refused).toMatchObject({ ok: false, code: 'capability_required' });
    await waitEvents(b.page, 'error', (e) => arg<{ code: string }>(e).code === 'capability_required');
    const noReaction = await h(a.page, 'call', 'sendReaction', '👍');
    expect(noReaction).toMatchObject({ ok: false, code: 'capability_required' });
    await waitEvents(a.page, 'error', (e) => arg<{ code: string; message: string }>(e).message.includes('reactions:send'));

    // chat, reaction, hand.
    expect((await h(b.page, 'call', 'sendChat', 'hello from bob')).ok).toBe(true);
    const chat = await waitEvents(a.page, 'chat');
    expect(arg<{ identity: string; text: string; participantId: string }>(chat[0]!)).toMatchObject({ identity: 'bob', text: 'hello from bob', participantId: b.id });
    expect((await h(b.page, 'call', 'sendReaction', '🎉')).ok).toBe(true);
    await waitEvents(a.page, 'reaction', (e) => arg<{ emoji: string }>(e).emoji === '🎉');
    expect((await h(a.page, 'call', 'raiseHand')).ok).toBe(true);
    await waitEvents(c.page, 'hand', (e) => arg<{ participantId: string; raised: boolean }>(e).raised && arg<{ participantId: string }>(e).participantId === a.id);

    // A token without subscribe:all sees no tracks, and the server refuses it a consume.
    const d = await joinAs(id, 'dave', ['chat:send']);
    const producerId = arg<{ producerId: string }>(bTracks[0]!).producerId;
    const consume = await h(d.page, 'rawRequest', d.url, d.token, 'consume', { producer_id: producerId, rtp_capabilities: {} });
    expect(consume).toMatchObject({ ok: false, code: 'capability_required' });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await h(d.page, 'events', 'track-subscribed')).toEqual([]);

    // A dropped signaling connection resumes (same participant, same media) instead of disconnecting.
    // ...and then restarts ICE on its transport (new ICE credentials on the server side).
    const recvOfB = () => live.participants.get(b.id)!.media.recvTransport!.transport;
    const ufragBefore = recvOfB().iceParameters.usernameFragment;
    expect(await h(b.page, 'dropSignaling')).toBe(1);
    await waitEvents(b.page, 'reconnected');
    expect(recvOfB().iceParameters.usernameFragment).not.toBe(ufragBefore);
    const framesBefore = (await h(b.page, 'framesDecoded'))[a.id] ?? 0;
    await waitFor(async () => ((await h(b.page, 'framesDecoded'))[a.id] ?? 0) > framesBefore + 5, { what: 'frames after resume' });
    expect(await h(b.page, 'events', 'disconnected')).toEqual([]);
    expect(live.participants.has(b.id)).toBe(true);

    // track-unsubscribed when the publisher stops a track.
    expect(await h(a.page, 'unpublish', 'microphone')).toBe(true);
    const gone = await waitEvents(c.page, 'track-unsubscribed');
    expect(arg<{ participantId: string; kind: string }>(gone[0]!)).toMatchObject({ participantId: a.id, kind: 'audio' });

    // participant-left when someone leaves.
    await h(c.page, 'leave');
    const left = await waitEvents(a.page, 'participant-left');
    expect(arg<{ identity: string; id: string }>(left[0]!)).toMatchObject({ identity: 'carol', id: c.id });
    await waitEvents(b.page, 'participant-left', (e) => arg<{ id: string }>(e).id === c.id);

    // DELETE /v1/rooms/{id} kicks every page with host_ended.
    const res = await stack.api(`/v1/rooms/${id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    for (const p of [a, b, d]) {
      const [ended] = await waitEvents(p.page, 'disconnected');
      expect(arg<{ reason: string }>(ended!)).toEqual({ reason: 'host_ended' });
    }
    for (const p of [a, b, c, d]) await closePage(p.page);
  }, 45_000);

  it('a connection that cannot resume within 10 s ends with disconnected { reason: network }', async () => {
    const id = roomId('network');
    const e = await joinAs(id, 'erin', VIEWER);
    // From now on every new signaling connection of this page fails at once.
    await e.page.routeWebSocket(/\/v1\/rtc/, (ws) => void ws.close({ code: 1011, reason: 'test: network down' }));
    const t0 = Date.now();
    expect(await h(e.page, 'dropSignaling')).toBe(1);
    await waitEvents(e.page, 'reconnecting');
    const [gone] = await waitEvents(e.page, 'disconnected', () => true, 1, 14_000);
    expect(arg<{ reason: string }>(gone!)).toEqual({ reason: 'network' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(9_000);
    await closePage(e.page);
  }, 25_000);

  it('lc.rooms.end with a moderator token ends the room for everyone', async () => {
    const id = roomId('end');
    const mod = await joinAs(id, 'mod', ['moderate:participants', 'chat:send', 'subscribe:all']);
    const viewer = await joinAs(id, 'viewer', VIEWER);
    await waitEvents(mod.page, 'participant-joined', (e) => arg<{ identity: string }>(e).identity === 'viewer');

    // Without moderate:participants the server refuses; a room this page has not joined cannot be ended here.
    const refused: Outcome<null> = await h(viewer.page, 'endRoom', id);
    expect(refused).toMatchObject({ ok: false, code: 'capability_required' });
    expect(await h(mod.page, 'endRoom', 'r_some-other-room')).toMatchObject({ ok: false, code: 'not_joined' });

    // A moderator can remove someone: kicked.
    const extra = await joinAs(id, 'extra', VIEWER);
    await waitEvents(mod.page, 'participant-joined', (e) => arg<{ identity: string }>(e).identity === 'extra');
    expect((await h(mod.page, 'call', 'kickParticipant', extra.id)).ok).toBe(true);
    const [kicked] = await waitEvents(extra.page, 'disconnected');
    expect(arg<{ reason: string }>(kicked!)).toEqual({ reason: 'kicked' });
    await closePage(extra.page);

    expect(await h(mod.page, 'endRoom', id)).toEqual({ ok: true, value: null });
    for (const p of [mod, viewer]) {
      const [ended] = await waitEvents(p.page, 'disconnected');
      expect(arg<{ reason: string }>(ended!)).toEqual({ reason: 'host_ended' });
    }
    const room = await readJson(await stack.api(`/v1/rooms/${id}`));
    expect(room.state).toBe('ended');
    for (const p of [mod, viewer]) await closePage(p.page);
  }, 20_000);
});
