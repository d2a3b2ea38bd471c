// WHIP ingest with a WebRTC stack that is not ours (werift, pure TypeScript, fed by ffmpeg): the
// publisher is a participant like any other, and nothing is left behind after refusals or DELETE.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../../helpers/test-stack.js';
import { feedTestPattern, postOffer, weriftOffer } from '../../helpers/werift-peer.js';
import { waitFor } from '../../../bench/lib/wait.js';

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack();
}, 60_000);
afterAll(() => t?.stop());

async function token(room: string, identity: string, capabilities: string[], type = 'broadcast'): Promise<string> {
  const res = await t.api(`/v1/rooms/${room}/tokens`, { method: 'POST', json: { identity, capabilities, type } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

describe('WHIP from werift', () => {
  it('publishes H.264 as a camera, counted in the room, and DELETE ends it', async () => {
    const room = 'r_whip-werift';
    const publisher = await token(room, 'obs', ['publish:camera']);
    const { pc, track, offer } = await weriftOffer('sendonly', 'H264', true);
    const res = await postOffer(`${t.url}/v1/rooms/${room}/whip`, publisher, offer);
    expect(res.status, res.body).toBe(201);
    expect(res.location).toMatch(new RegExp(`^/v1/rooms/${room}/whip/[A-Za-z0-9_-]{16}$`));
    expect(res.etag).toMatch(/^"/);
    expect(res.body).toContain('a=ice-lite');
    await pc.setRemoteDescription({ type: 'answer', sdp: res.body });
    const feed = await feedTestPattern(track, 'H264');
    try {
      const live = () => t.stack.liveRooms.rooms.get(room);
      const video = await waitFor(async () => [...(live()?.tracks.values() ?? [])].find((x) => x.producer.kind === 'video'), { timeoutMs: 10_000, what: 'a video track' });
      expect(video.source).toBe('camera');
      expect(video.producer.rtpParameters.codecs[0]!.mimeType).toBe('video/H264');
      await waitFor(async () => ((await video.producer.getStats())[0]?.byteCount ?? 0) > 10_000 || undefined, { timeoutMs: 10_000, what: 'RTP at the producer' });
      const stored = await (await t.api(`/v1/rooms/${room}`)).json();
      expect((stored as { state: string }).state).toBe('active');

      const del = await fetch(`${t.url}${res.location}`, { method: 'DELETE', headers: { authorization: `Bearer ${publisher}` } });
      expect(del.status).toBe(200);
      await waitFor(async () => (live() === undefined ? true : undefined), { timeoutMs: 5000, what: 'the room closed on this node' });
      expect(video.producer.closed).toBe(true);
      const again = await fetch(`${t.url}${res.location}`, { method: 'DELETE', headers: { authorization: `Bearer ${publisher}` } });
      expect(again.status).toBe(404);
      expect(((await again.json()) as { code: string }).code).toBe('session_not_found');
      const ended = (await (await t.api(`/v1/rooms/${room}`)).json()) as { state: string };
      expect(ended.state).toBe('ended');
    } finally {
      feed.stop();
      await pc.close();
    }
  });
});
