// A broadcast end to end in Chromium: a page publishes a fake camera + microphone with
// @levelchat/web (H.264, the broadcast default, so the LL-HLS pipeline passes the video through);
// the room goes live over LL-HLS; another page plays /hls/{room}/master.m3u8 with our player
// (<levelchat-player>) and decodes frames close to the live edge; and a viewer beyond the WebRTC
// cap (LEVELCHAT_WEBRTC_VIEWER_CAP=1 here) falls back to LL-HLS by itself.
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { readJson } from '../helpers/test-stack.js';
import { h, hlsFramesGrow, joinWithToken, mintToken, openHarness, waitEvents } from '../../bench/lib/browser-kit.js';
import { waitFor } from '../../bench/lib/wait.js';
import { stopwatch } from './stopwatch.js';
import { useBrowserStack } from './browser-stack.js';
import { renditionPlaylistUrl } from './live-broadcast.js';

const { t, browser } = useBrowserStack({ env: { LEVELCHAT_WORKERS: '2', LEVELCHAT_WEBRTC_VIEWER_CAP: '1' } });

const mint = (roomId: string, identity: string, caps: string[]) => mintToken(t.url, t.apiKey, roomId, identity, caps, 'broadcast');

const join = (page: Page, roomId: string, identity: string, caps: string[]) => joinWithToken(page, t, roomId, identity, caps, 'broadcast');

describe('broadcast → LL-HLS in Chromium', () => {
  it('publisher (H.264) → live over LL-HLS → player decodes near the live edge; viewers beyond the cap fall back to LL-HLS', async () => {
    const id = `r_e2e-bcast-${randomBytes(4).toString('hex')}`;
    const mark = stopwatch('broadcast-hls');

    const publisher = await openHarness(browser, t.url, 'publisher');
    const pub = await join(publisher, id, 'host', ['publish:camera']);
    expect(pub.mode).toBe('webrtc');
    expect(pub.hlsUrl).toBe(`${t.url}/hls/${id}/master.m3u8`);
    for (const method of ['publishCamera', 'publishMicrophone']) {
      const r = await h(publisher, 'call', method);
      expect(r.ok, JSON.stringify(r)).toBe(true);
    }

    // Chromium sends H.264: the broadcast room offers it first.
    const live = t.stack.liveRooms.rooms.get(id)!;
    await waitFor(async () => live.tracks.size >= 2, { what: 'camera + microphone producers' });
    const camera = [...live.tracks.values()].find((x) => x.source === 'camera')!;
    expect(camera.producer.rtpParameters.codecs[0]?.mimeType).toBe('video/H264');
    mark('published (H.264 + Opus)');

    const status = await waitFor(async () => {
      const body = await readJson(await t.api(`/v1/rooms/${id}`));
      return body.hls?.state === 'live' ? body.hls : undefined;
    }, { timeoutMs: 15_000, what: 'hls.state live', intervalMs: 200 });
    expect(status).toMatchObject({ url: `/hls/${id}/master.m3u8`, on_air: { identity: 'host' } });
    mark('GET /v1/rooms shows hls live');

    // Page B: <levelchat-player> on the master playlist.
    const watcher = await openHarness(browser, t.url, 'watcher');
    const played = await h(watcher, 'playHlsElement', `${t.url}/hls/${id}/master.m3u8`);
    expect(played.ok).toBe(true);
    const first = await hlsFramesGrow(watcher, 30, 20_000);
    mark(`player decoding (${first.frames} frames)`);
    // Held near the live edge: glass to glass (now − playing date) below 3 s, also on screen.
    const near = await waitFor(async () => {
      const s = await h(watcher, 'hlsStats');
      return s && s.latency !== null && s.latency < 3 ? s : undefined;
    }, { timeoutMs: 15_000, what: 'latency < 3 s', intervalMs: 250 });
    // The on-screen readout says so too. It is redrawn on its own timer, so one reading may still show a
    // moment before (3.2 s seen once on a busy 2-core CI box, the stats already under 3 s): wait for it.
    const shownLatency = (text: string | undefined) => Number(/latency ([\d.]+) s/.exec(text ?? '')?.[1] ?? NaN);
    const readout = await waitFor(async () => {
      const text = await h(watcher, 'readout');
      return text?.startsWith('latency') && shownLatency(text) < 3 ? text : undefined;
    }, { timeoutMs: 10_000, what: 'readout showing latency < 3 s' });
    expect(shownLatency(readout)).toBeLessThan(3);
    const samples: number[] = [];
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 500));
      samples.push((await h(watcher, 'hlsStats'))!.latency!);
    }
    mark(`latency ${near.latency!.toFixed(2)} s, readout "${readout}", then ${samples.map((x) => x.toFixed(2)).join(' ')} s`);
    expect(Math.max(...samples)).toBeLessThan(3);
    const after = await hlsFramesGrow(watcher, 30, 10_000);
    expect(after.dropped).toBeLessThan(after.frames / 2);

    // The WebRTC cap is 1: the first viewer watches over WebRTC, the second falls back to LL-HLS.
    const v1 = await openHarness(browser, t.url, 'viewer-1');
    const one = await join(v1, id, 'viewer-1', ['subscribe:all']);
    expect(one.mode).toBe('webrtc');
    await waitEvents(v1, 'track-subscribed', () => true, 2);
    await waitFor(async () => ((await h(v1, 'framesDecoded'))[pub.participantId] ?? 0) > 5, { what: 'viewer-1 WebRTC frames' });
    await waitFor(async () => live.viewerCount === 1, { what: 'viewer counted' });
    const v2 = await openHarness(browser, t.url, 'viewer-2');
    const two = await join(v2, id, 'viewer-2', ['subscribe:all']);
    expect(two.mode).toBe('hls');
    expect(two.hlsUrl).toBe(`${t.url}/hls/${id}/master.m3u8`);
    const fallback = await hlsFramesGrow(v2, 30, 20_000);
    mark(`viewer-2 fell back to LL-HLS and decodes (${fallback.frames} frames, latency ${fallback.latency?.toFixed(2)} s)`);
    // It never took a WebRTC seat, and cannot publish.
    expect(live.viewerCount).toBe(1);
    expect(await h(v2, 'call', 'publishCamera')).toMatchObject({ ok: false, code: 'capability_required' });
    expect(await h(v2, 'call', 'sendChat', 'hi')).toMatchObject({ ok: false, code: 'invalid_state' });

    // A refusal without fallback is still a refusal carrying the hls_url.
    const v3 = await openHarness(browser, t.url, 'viewer-3');
    const minted = await mint(id, 'viewer-3', ['subscribe:all']);
    const refused = await h(v3, 'join', { token: minted.token, signalingUrl: minted.signaling_url, hlsFallback: false });
    expect(refused).toMatchObject({ ok: false, code: 'webrtc_full' });

    // The on-air publisher changes: host stops, host-2 (publishing already) goes on air in the same
    // playlists (a discontinuity, nothing else): the player keeps playing without switching anything.
    const p2 = await openHarness(browser, t.url, 'host-2');
    await join(p2, id, 'host-2', ['publish:camera']);
    for (const method of ['publishCamera', 'publishMicrophone']) expect((await h(p2, 'call', method)).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    const master = await (await fetch(`${t.url}/hls/${id}/master.m3u8`)).text();
    await h(publisher, 'unpublish', 'camera');
    await h(publisher, 'unpublish', 'microphone');
    mark('host stops publishing');
    await waitFor(async () => (await readJson(await t.api(`/v1/rooms/${id}`))).hls?.on_air?.identity === 'host-2', { timeoutMs: 15_000, what: 'host-2 on air', intervalMs: 200 });
    mark('host-2 on air');
    const playlistUrl = await renditionPlaylistUrl(t, id, master);
    const continued = await waitFor(async () => {
      const text = await (await fetch(playlistUrl)).text();
      return text.includes('#EXT-X-DISCONTINUITY') && text.includes('init1.mp4') ? text : undefined;
    }, { timeoutMs: 20_000, what: 'host-2 in the same playlist', intervalMs: 200 });
    expect(continued).not.toContain('#EXT-X-ENDLIST');
    mark(`host-2 in the playlist: ${JSON.stringify(await h(watcher, 'hlsStats'))}`);
    const resumed = await hlsFramesGrow(watcher, 30, 20_000);
    expect(resumed.renditionSwitches).toBe(0);
    mark(`on-air change followed in the same playlist (then ${resumed.frames} frames, latency ${resumed.latency?.toFixed(2)} s, ${JSON.stringify(resumed)})`);

    await h(v2, 'leave');
    for (const page of [p2, publisher]) await h(page, 'leave');
    for (const page of [publisher, p2, watcher, v1, v2, v3]) await page.context().close();
  }, 85_000);
});
