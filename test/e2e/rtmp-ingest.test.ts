// An RTMP encoder (ffmpeg -f flv, H.264 High without B-frames + AAC) watched in Chromium through
// @levelchat/web: the passed-through H.264 and the Opus made of its AAC are decoded by a WebRTC
// viewer, and keep being decoded after the encoder restarts within the reconnect window.
import { afterAll, describe, expect, it } from 'vitest';
import { joinOrThrow, mintToken, openHarness, waitEvents, webrtcFramesGrow } from '../../bench/lib/browser-kit.js';
import { startTestEncoder, type TestEncoder } from '../../bench/lib/test-encoder.js';
import { waitFor } from '../../bench/lib/wait.js';
import { readJson } from '../helpers/test-stack.js';
import { useBrowserStack } from './browser-stack.js';

const { t, browser } = useBrowserStack();
const encoders: TestEncoder[] = [];
afterAll(async () => {
  await Promise.all(encoders.splice(0).map((e) => e.stop()));
});

const ROOM = 'r_e2e-rtmp';

describe('RTMP encoder → WebRTC viewer in Chromium', () => {
  it('decodes the encoder, and again after it reconnects', async () => {
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: ROOM.slice(2), type: 'broadcast' } });
    const ingest = await readJson(await t.api(`/v1/rooms/${ROOM}/ingests`, { method: 'POST', json: { protocol: 'rtmp', identity: 'studio' } }));
    const start = () => {
      const e = startTestEncoder({ url: ingest.publish_url, size: '1280x720' });
      encoders.push(e);
      return e;
    };
    let encoder = start();
    const ingestState = (state: string) =>
      waitFor(async () => (await readJson(await t.api(`/v1/rooms/${ROOM}/ingests/${ingest.id}`))).state === state, { timeoutMs: 20_000, intervalMs: 200, what: `ingest ${state}` });
    await ingestState('live');
    const studio = [...t.stack.liveRooms.rooms.get(ROOM)!.participants.values()].find((p) => p.identity === 'studio')!;

    const page = await openHarness(browser, t.url, 'viewer');
    const minted = await mintToken(t.url, t.apiKey, ROOM, 'viewer', ['subscribe:all'], 'broadcast');
    await joinOrThrow(page, { token: minted.token, signalingUrl: minted.signaling_url, roomType: 'broadcast' }, 'viewer');
    const tracks = await waitEvents(page, 'track-subscribed', () => true, 2, 15_000);
    expect(tracks).toHaveLength(2);
    expect(await webrtcFramesGrow(page, studio.id, 30, 20_000)).toBeGreaterThanOrEqual(30);

    await encoder.stop();
    await ingestState('reconnecting');
    encoder = start();
    await ingestState('live');
    // Same participant, same consumers: the viewer decodes the new encoder from its first keyframe.
    expect(await webrtcFramesGrow(page, studio.id, 30, 20_000)).toBeGreaterThan(30);
  }, 120_000);
});
