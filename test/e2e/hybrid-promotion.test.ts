// A hybrid room promoted mid-session, in Chromium: two pages in a meeting (both publish, both see
// each other), POST /v1/rooms/{id}/promote, nobody is dropped and media keeps flowing; the room goes
// out over LL-HLS (VP8 meeting video, transcoded by the pipeline) and a late viewer — beyond the
// WebRTC cap, set to 0 here — watches it through the SDK's LL-HLS fallback. Webhooks room.promoted
// and hls.started reach a loopback receiver.
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlayers } from '../../scripts/setup/players.mjs';
import { projectRoot } from '../../common/compiled-entry.js';
import { readJson, startTestStack, type TestStack } from '../helpers/test-stack.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';
import { arg, h, hlsFramesGrow, joinWithToken, launchChromium, openHarness, waitEvents, webrtcFramesGrow } from '../../bench/lib/browser-kit.js';
import { waitFor } from '../../bench/lib/wait.js';
import { stopwatch } from './stopwatch.js';

let t: TestStack;
let browser: Browser;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  await buildPlayers(projectRoot());
  [t, browser, receiver] = await Promise.all([
    startTestStack({ env: { LEVELCHAT_WORKERS: '2', LEVELCHAT_WEBRTC_VIEWER_CAP: '0' } }),
    launchChromium(),
    startWebhookReceiver(),
  ]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
  await receiver?.close();
});

const MEMBER = ['publish:camera', 'subscribe:all', 'chat:send'];

const join = (page: Page, roomId: string, identity: string, caps: string[]) => joinWithToken(page, t, roomId, identity, caps, 'hybrid');

describe('hybrid room promoted to a broadcast in Chromium', () => {
  it('two meeting members stay connected through the promotion; a late viewer watches over LL-HLS', async () => {
    const id = `r_e2e-hybrid-${randomBytes(4).toString('hex')}`;
    const mark = stopwatch('hybrid-promotion');
    const hook = await t.api('/v1/webhooks', { method: 'POST', json: { url: receiver.url, events: ['room.promoted', 'hls.started'] } });
    expect(hook.status).toBe(201);

    const [pa, pb] = await Promise.all([openHarness(browser, t.url, 'a'), openHarness(browser, t.url, 'b')]);
    const a = await join(pa, id, 'alice', MEMBER);
    const b = await join(pb, id, 'bob', MEMBER);
    expect(a.hlsUrl).toBeNull();
    for (const page of [pa, pb]) {
      for (const method of ['publishCamera', 'publishMicrophone']) {
        const r = await h(page, 'call', method);
        expect(r.ok, JSON.stringify(r)).toBe(true);
      }
    }
    await webrtcFramesGrow(pa, b.participantId, 10);
    await webrtcFramesGrow(pb, a.participantId, 10);
    mark('meeting: both see each other');

    const res = await t.api(`/v1/rooms/${id}/promote`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await readJson(res)).toMatchObject({ type: 'hybrid', promoted: true, config: { hls: true } });
    for (const page of [pa, pb]) {
      const [promoted] = await waitEvents(page, 'promoted');
      expect(arg<{ hlsUrl: string }>(promoted!).hlsUrl).toBe(`${t.url}/hls/${id}/master.m3u8`);
    }
    mark('promoted event on both pages');

    const status = await waitFor(async () => {
      const body = await readJson(await t.api(`/v1/rooms/${id}`));
      return body.hls?.state === 'live' ? body.hls : undefined;
    }, { timeoutMs: 20_000, what: 'hls.state live', intervalMs: 200 });
    expect(status.on_air.identity).toBe('alice'); // the first camera
    mark('LL-HLS live');

    // Nobody dropped; WebRTC media keeps flowing both ways.
    await webrtcFramesGrow(pa, b.participantId, 30);
    await webrtcFramesGrow(pb, a.participantId, 30);
    for (const page of [pa, pb]) {
      expect(await h(page, 'events', 'disconnected')).toEqual([]);
      expect(await h(page, 'events', 'reconnecting')).toEqual([]);
    }
    const live = t.stack.liveRooms.rooms.get(id)!;
    expect([...live.participants.values()].map((p) => p.identity).sort()).toEqual(['alice', 'bob']);

    // A viewer joining now is past the WebRTC cap (0): the SDK falls back to LL-HLS and decodes.
    const pc = await openHarness(browser, t.url, 'viewer');
    const c = await join(pc, id, 'carol', ['subscribe:all']);
    expect(c.mode).toBe('hls');
    const frames = await hlsFramesGrow(pc, 30, 25_000);
    mark(`viewer on LL-HLS: ${frames.frames} frames, latency ${frames.latency?.toFixed(2)} s`);
    expect(frames.latency).not.toBeNull();
    expect(frames.latency!).toBeLessThan(6);

    // Still nobody dropped.
    await webrtcFramesGrow(pa, b.participantId, 10);
    await webrtcFramesGrow(pb, a.participantId, 10);
    for (const page of [pa, pb]) expect(await h(page, 'events', 'disconnected')).toEqual([]);

    await waitFor(async () => {
      const types = new Set(receiver.accepted().filter((e) => e.room_id === id).map((e) => e.type));
      return types.has('room.promoted') && types.has('hls.started');
    }, { what: 'room.promoted + hls.started webhooks' });
    const started = receiver.accepted().find((e) => e.room_id === id && e.type === 'hls.started')!;
    expect(started.data).toMatchObject({ url: `/hls/${id}/master.m3u8`, on_air: { identity: 'alice' } });
    mark('webhooks room.promoted + hls.started received');

    for (const page of [pc, pa, pb]) await h(page, 'leave');
    for (const page of [pa, pb, pc]) await page.context().close();
  }, 85_000);
});
