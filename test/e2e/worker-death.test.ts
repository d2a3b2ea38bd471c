// A mediasoup worker dies under a live meeting (Chromium pages, fake camera + microphone): the node
// rebuilds the room's media on the other worker and sends `media-reset`; the SDK re-creates its
// transports, publishes the same tracks again and re-subscribes. Nobody is disconnected, media is
// back within 3 s, and the room (participants, chat) is intact.
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { arg, callOrThrow, h, joinOrThrow, mintToken, openHarness, waitEvents } from '../../bench/lib/browser-kit.js';
import { waitFor } from '../../bench/lib/wait.js';
import { useBrowserStack } from './browser-stack.js';

const { t, browser } = useBrowserStack({ env: { LEVELCHAT_WORKERS: '2' } });

const PUBLISHER = ['publish:camera', 'subscribe:all', 'chat:send'];
const VIEWER = ['subscribe:all', 'chat:send'];

async function join(roomId: string, identity: string, caps: string[]): Promise<{ page: Page; id: string }> {
  const [page, minted] = await Promise.all([openHarness(browser, t.url, identity), mintToken(t.url, t.apiKey, roomId, identity, caps, 'meeting')]);
  const joined = await joinOrThrow(page, { token: minted.token, signalingUrl: minted.signaling_url, roomType: 'meeting' }, identity);
  return { page, id: joined.participantId };
}

type Track = { participantId: string; producerId: string; kind: string };

describe('a mediasoup worker dies under a meeting', () => {
  it('the SDK rebuilds its media on media-reset: media back within 3 s, nobody disconnected, room intact', async () => {
    const id = `r_e2e-worker-death-${randomBytes(4).toString('hex')}`;
    const a = await join(id, 'alice', PUBLISHER);
    for (const method of ['publishCamera', 'publishMicrophone']) {
      await callOrThrow(a.page, method);
    }
    const b = await join(id, 'bob', VIEWER);
    const before = (await waitEvents(b.page, 'track-subscribed', () => true, 2)).map((e) => arg<Track>(e));
    await waitFor(async () => ((await h(b.page, 'framesDecoded'))[a.id] ?? 0) > 5, { what: 'frames from alice' });
    expect((await h(b.page, 'call', 'sendChat', 'before the crash')).ok).toBe(true);
    await waitEvents(a.page, 'chat');

    const live = t.stack.liveRooms.rooms.get(id)!;
    const deadPid = live.media.origin.worker.pid;
    const killedAt = Date.now();
    process.kill(deadPid, 'SIGKILL');

    await Promise.all([waitEvents(a.page, 'media-reset', () => true, 1, 5000), waitEvents(b.page, 'media-reset', () => true, 1, 5000)]);
    // The old tracks are gone (their <video> removed), so these are frames of the new ones.
    await waitFor(async () => ((await h(b.page, 'framesDecoded'))[a.id] ?? 0) > 0, { timeoutMs: 5000, what: 'frames from alice after the reset', intervalMs: 20 });
    const resumeMs = Date.now() - killedAt;
    console.log(`[worker-death] first new frame ${resumeMs} ms after the kill`);
    expect(resumeMs).toBeLessThan(3000);
    await waitFor(async () => ((await h(b.page, 'framesDecoded'))[a.id] ?? 0) > 10, { what: 'more frames from alice' });

    // track-unsubscribed for the old tracks, track-subscribed for new ones (new producers, same kinds).
    const oldIds = before.map((x) => x.producerId);
    const gone = (await waitEvents(b.page, 'track-unsubscribed', () => true, 2)).map((e) => arg<Track>(e).producerId);
    expect(gone.sort()).toEqual([...oldIds].sort());
    const after = (await h(b.page, 'events', 'track-subscribed')).map((e) => arg<Track>(e)).filter((x) => !oldIds.includes(x.producerId));
    expect(after.map((x) => x.kind).sort()).toEqual(['audio', 'video']);
    expect(after.every((x) => x.participantId === a.id)).toBe(true);
    await waitFor(async () => (await h(b.page, 'inboundFramesDecoded')).some((n) => n > 0), { what: 'inbound-rtp framesDecoded' });

    // The server: the room lives on the other worker, with alice's camera as 3 simulcast layers again.
    expect(live.media.origin.worker.pid).not.toBe(deadPid);
    const camera = [...live.tracks.values()].find((x) => x.source === 'camera')!;
    expect(camera.producer.type).toBe('simulcast');
    expect(camera.producer.rtpParameters.encodings?.length).toBe(3);
    expect(await h(a.page, 'published')).toEqual(['camera', 'microphone']);

    // Nobody was disconnected (not even resumed), nothing failed; same participants.
    for (const p of [a, b]) {
      expect(await h(p.page, 'events', 'disconnected')).toEqual([]);
      expect(await h(p.page, 'events', 'reconnecting')).toEqual([]);
      expect(await h(p.page, 'events', 'error')).toEqual([]);
    }
    expect(await h(a.page, 'participants')).toEqual([{ id: b.id, identity: 'bob' }]);
    expect(await h(b.page, 'participants')).toEqual([{ id: a.id, identity: 'alice' }]);
    expect([...live.participants.keys()].sort()).toEqual([a.id, b.id].sort());

    // A late joiner sees both, the chat from before the crash, and alice's media.
    const c = await join(id, 'carol', VIEWER);
    expect((await h(c.page, 'participants')).map((p) => p.identity).sort()).toEqual(['alice', 'bob']);
    expect(await h(c.page, 'chatHistory')).toContainEqual({ identity: 'bob', text: 'before the crash' });
    await waitFor(async () => ((await h(c.page, 'framesDecoded'))[a.id] ?? 0) > 5, { what: 'carol decodes alice' });

    for (const p of [a, b, c]) await p.page.context().close();
  }, 40_000);
});
