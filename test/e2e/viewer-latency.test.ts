// Viewers' latency reports end to end in Chromium: a broadcast publisher (H.264), one viewer over
// WebRTC and one beyond the WebRTC cap (LEVELCHAT_WEBRTC_VIEWER_CAP=1) that falls back to LL-HLS.
// Both @levelchat/web sessions report by themselves (POST /v1/rooms/{id}/telemetry every 5 s): the
// node's histogram moves for both deliveries, and GET /v1/rooms/{id} counts two viewers with p50/p95.
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { h, hlsFramesGrow, joinOrThrow, mintToken, openHarness, waitEvents } from '../../bench/lib/browser-kit.js';
import { waitFor } from '../../bench/lib/wait.js';
import { Scrape } from '../helpers/prometheus-scrape.js';
import { readJson } from '../helpers/test-stack.js';
import { useBrowserStack } from './browser-stack.js';

const { t, browser } = useBrowserStack({ env: { LEVELCHAT_WORKERS: '1', LEVELCHAT_WEBRTC_VIEWER_CAP: '1' } });

async function join(page: Page, roomId: string, identity: string, caps: string[]) {
  const minted = await mintToken(t.url, t.apiKey, roomId, identity, caps, 'broadcast');
  return joinOrThrow(page, { token: minted.token, signalingUrl: minted.signaling_url, roomType: 'broadcast' }, identity);
}

/** The histogram's count for a delivery (0 before its first observation). */
function reports(scrape: Scrape, delivery: string): { count: number; sum: number } {
  try {
    return scrape.histogram('levelchat_viewer_latency_seconds', { delivery });
  } catch {
    return { count: 0, sum: 0 };
  }
}

describe('viewer latency reports from @levelchat/web', () => {
  it('a WebRTC viewer and an LL-HLS viewer report how late they play; the node exports it and GET /v1/rooms/{id} shows p50/p95', async () => {
    const id = `r_e2e-latency-${randomBytes(4).toString('hex')}`;
    const publisher = await openHarness(browser, t.url, 'publisher');
    await join(publisher, id, 'host', ['publish:camera']);
    for (const method of ['publishCamera', 'publishMicrophone']) expect((await h(publisher, 'call', method)).ok).toBe(true);
    await waitFor(async () => (await readJson(await t.api(`/v1/rooms/${id}`))).hls?.state === 'live', { timeoutMs: 20_000, what: 'hls live', intervalMs: 250 });

    const rtc = await openHarness(browser, t.url, 'viewer-rtc');
    const one = await join(rtc, id, 'viewer-rtc', ['subscribe:all']);
    expect(one.mode).toBe('webrtc');
    await waitEvents(rtc, 'track-subscribed', () => true, 2);
    const hls = await openHarness(browser, t.url, 'viewer-hls');
    const two = await join(hls, id, 'viewer-hls', ['subscribe:all']);
    expect(two.mode).toBe('hls');
    await hlsFramesGrow(hls, 30, 20_000);

    // Reports come every 5 s once video plays: wait for two of each.
    const scrape = await waitFor(async () => {
      const s = await Scrape.of(t.url);
      return reports(s, 'webrtc').count >= 2 && reports(s, 'llhls').count >= 2 ? s : undefined;
    }, { timeoutMs: 30_000, what: 'reports of both deliveries', intervalMs: 500 });
    const webrtc = reports(scrape, 'webrtc');
    const llhls = reports(scrape, 'llhls');
    const meanRtc = webrtc.sum / webrtc.count;
    const meanHls = llhls.sum / llhls.count;
    console.log(`[viewer-latency] webrtc mean ${meanRtc.toFixed(3)} s over ${webrtc.count}, llhls mean ${meanHls.toFixed(3)} s over ${llhls.count}`);
    // Loopback, one clock: WebRTC plays within a second of the SFU; LL-HLS within a few seconds, and later than WebRTC.
    expect(meanRtc).toBeGreaterThan(0);
    expect(meanRtc).toBeLessThan(1);
    expect(meanHls).toBeGreaterThan(0.2);
    expect(meanHls).toBeLessThan(5);

    const room = await readJson(await t.api(`/v1/rooms/${id}`));
    expect(room.viewers.count).toBe(2);
    expect(room.viewers.latency_p50_s).toBeGreaterThan(0);
    expect(room.viewers.latency_p95_s).toBeGreaterThanOrEqual(room.viewers.latency_p50_s);
    expect(room.viewers.latency_p95_s).toBeLessThan(5);

    for (const page of [hls, rtc, publisher]) await h(page, 'leave');
    for (const page of [publisher, rtc, hls]) await page.context().close();
  }, 90_000);
});
