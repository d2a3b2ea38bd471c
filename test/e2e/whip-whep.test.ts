// WHIP and WHEP with a WebRTC stack that is not our SDK: a plain RTCPeerConnection in Chromium,
// offers POSTed with fetch. A WHIP publisher is a participant like any other (an SDK viewer
// decodes it; it goes on air for LL-HLS with its H.264 passed through); a WHEP player receives
// the on-air program (an SDK publisher's camera) and keeps it across an on-air switch.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readJson } from '../helpers/test-stack.js';
import { joinOrThrow, mintToken, openHarness, webrtcFramesGrow, h } from '../../bench/lib/browser-kit.js';
import { endSession, framesDecoded, whepPlay, whipPublish } from '../../bench/lib/webrtc-http-kit.js';
import { waitFor } from '../../bench/lib/wait.js';
import { useBrowserStack } from './browser-stack.js';

const { t, browser } = useBrowserStack({ env: { LEVELCHAT_WORKERS: '2' } });

const roomId = (what: string) => `r_e2e-${what}-${randomBytes(4).toString('hex')}`;

/**
 * Whether the worker runs a bandwidth estimate (transport-cc) for `identity`'s receive transport:
 * only for viewers of a simulcast/SVC producer (src/sfu/consumer-capabilities.ts). A transport's
 * stats carry availableOutgoingBitrate only while it estimates.
 */
async function estimatesFor(room: string, identity: string): Promise<boolean> {
  const viewer = [...t.stack.liveRooms.rooms.get(room)!.participants.values()].find((p) => p.identity === identity)!;
  const [stats] = await viewer.media.recvTransport!.transport.getStats();
  return stats!.availableOutgoingBitrate !== undefined;
}

async function framesGrow(page: Parameters<typeof framesDecoded>[0], name: string, more: number, ms = 15_000): Promise<number> {
  const start = await framesDecoded(page, name);
  return waitFor(async () => {
    const n = await framesDecoded(page, name);
    return n >= start + more ? n : undefined;
  }, { timeoutMs: ms, what: `${more} more frames decoded by ${name}` });
}

describe('WHIP and WHEP from a plain RTCPeerConnection in Chromium', () => {
  it('WHIP H.264 publisher: an SDK viewer decodes it, and LL-HLS passes its H.264 through', async () => {
    const id = roomId('whip');
    const pubToken = (await mintToken(t.url, t.apiKey, id, 'encoder', ['publish:camera'], 'broadcast')).token;
    const publisher = await openHarness(browser, t.url, 'whip');
    const started = await whipPublish(publisher, 'whip', `${t.url}/v1/rooms/${id}/whip`, pubToken, { codec: 'video/H264' });
    expect(started.status, started.body).toBe(201);

    const live = t.stack.liveRooms.rooms.get(id)!;
    const camera = await waitFor(async () => [...live.tracks.values()].find((x) => x.source === 'camera'), { what: 'the WHIP camera' });
    expect(camera.producer.rtpParameters.codecs[0]!.mimeType).toBe('video/H264');
    expect([...live.tracks.values()].some((x) => x.source === 'microphone')).toBe(true);

    // An SDK viewer (mediasoup-client) sees the publisher announced and decodes its video.
    const viewer = await openHarness(browser, t.url, 'sdk-viewer');
    const minted = await mintToken(t.url, t.apiKey, id, 'viewer', ['subscribe:all'], 'broadcast');
    await joinOrThrow(viewer, { token: minted.token, signalingUrl: minted.signaling_url, roomType: 'broadcast' }, 'viewer');
    await webrtcFramesGrow(viewer, camera.participant.id, 30, 15_000);
    // One layer: Chromium decodes it without a bandwidth estimate.
    expect(await estimatesFor(id, 'viewer')).toBe(false);

    // On air for LL-HLS by the usual rule, the H.264 passed through (the source profile in CODECS, no libx264 High).
    const status = await waitFor(async () => {
      const body = await readJson(await t.api(`/v1/rooms/${id}`));
      return body.hls?.state === 'live' ? body.hls : undefined;
    }, { timeoutMs: 20_000, what: 'hls.state live', intervalMs: 200 });
    expect(status).toMatchObject({ on_air: { identity: 'encoder' } });
    const master = await (await fetch(`${t.url}/hls/${id}/master.m3u8`)).text();
    expect(master).toMatch(/CODECS="avc1\.42[ce]0/);

    expect(await endSession(publisher, 'whip', t.url)).toBe(200);
    await waitFor(async () => (live.tracks.size === 0 ? true : undefined), { what: 'the WHIP tracks gone' });
  });

  it('WHIP simulcast (three RID layers) becomes a simulcast producer an SDK viewer decodes', async () => {
    const id = roomId('whip-sim');
    const pubToken = (await mintToken(t.url, t.apiKey, id, 'encoder', ['publish:camera', 'publish:audio'], 'meeting')).token;
    const publisher = await openHarness(browser, t.url, 'whip-sim');
    const started = await whipPublish(publisher, 'whip', `${t.url}/v1/rooms/${id}/whip`, pubToken, { codec: 'video/VP8', simulcast: true });
    expect(started.status, started.body).toBe(201);
    expect(started.body).toMatch(/a=simulcast:recv q;h;f/);
    const live = t.stack.liveRooms.rooms.get(id)!;
    const camera = await waitFor(async () => [...live.tracks.values()].find((x) => x.source === 'camera'), { what: 'the WHIP camera' });
    expect(camera.producer.type).toBe('simulcast');
    expect(camera.producer.rtpParameters.encodings!.map((e) => e.rid)).toEqual(['q', 'h', 'f']);
    const viewer = await openHarness(browser, t.url, 'sdk-viewer-sim');
    const minted = await mintToken(t.url, t.apiKey, id, 'viewer', ['subscribe:all'], 'meeting');
    await joinOrThrow(viewer, { token: minted.token, signalingUrl: minted.signaling_url, roomType: 'meeting' }, 'viewer');
    await webrtcFramesGrow(viewer, camera.participant.id, 30, 15_000);
    // Layers to choose between: the viewer's transport runs the estimate.
    expect(await estimatesFor(id, 'viewer')).toBe(true);
    expect(await endSession(publisher, 'whip', t.url)).toBe(200);
  });

  it('WHEP player decodes an SDK publisher, counts as audience, and follows an on-air switch without renegotiation', async () => {
    const id = roomId('whep');
    const publisher = await openHarness(browser, t.url, 'sdk-publisher');
    const pub = await mintToken(t.url, t.apiKey, id, 'host', ['publish:camera'], 'broadcast');
    await joinOrThrow(publisher, { token: pub.token, signalingUrl: pub.signaling_url, roomType: 'broadcast' }, 'host');
    expect((await h(publisher, 'call', 'publishCamera')).ok).toBe(true);
    const live = t.stack.liveRooms.rooms.get(id)!;
    await waitFor(async () => [...live.tracks.values()].find((x) => x.source === 'camera'), { what: 'the SDK camera' });

    const player = await openHarness(browser, t.url, 'whep');
    const token = (await mintToken(t.url, t.apiKey, id, 'player', ['subscribe:all'], 'broadcast')).token;
    const played = await whepPlay(player, 'whep', `${t.url}/v1/rooms/${id}/whep`, token);
    expect(played.status, played.body).toBe(201);
    expect(played.location).toMatch(new RegExp(`^/v1/rooms/${id}/whep/`));
    // The program has one layer: the answer takes none of the estimate Chromium offered.
    expect(played.body).not.toMatch(/transport-wide-cc|abs-send-time|transport-cc|goog-remb/);
    expect(played.body).toMatch(/a=rtcp-fb:\d+ nack pli/);
    await framesGrow(player, 'whep', 30);
    expect(live.viewerCount).toBe(1);

    // A WHIP publisher comes on stage, then the SDK camera stops: the WHIP camera goes on air and
    // the same WHEP session keeps decoding (no new offer).
    const encoder = await openHarness(browser, t.url, 'whip-2');
    const whipToken = (await mintToken(t.url, t.apiKey, id, 'encoder', ['publish:camera'], 'broadcast')).token;
    expect((await whipPublish(encoder, 'whip', `${t.url}/v1/rooms/${id}/whip`, whipToken, { codec: 'video/H264' })).status).toBe(201);
    await waitFor(async () => ([...live.tracks.values()].filter((x) => x.source === 'camera').length === 2 ? true : undefined), { what: 'two cameras' });
    expect((await h(publisher, 'unpublish', 'camera')) as unknown).toBe(true);
    await waitFor(async () => ([...live.tracks.values()].filter((x) => x.source === 'camera').length === 1 ? true : undefined), { what: 'the SDK camera gone' });
    await framesGrow(player, 'whep', 30);

    expect(await endSession(player, 'whep', t.url)).toBe(200);
    await waitFor(async () => (live.viewerCount === 0 ? true : undefined), { what: 'the player gone from the audience' });
    expect(await endSession(encoder, 'whip', t.url)).toBe(200);
  });
});
