// A real seek in a live broadcast's DVR window (issue 14, point 5): a broadcast with a 20 s window,
// published from Chromium (fake camera, H.264 passed through). Once the window is full and sliding,
// hls.js and Shaka Player (low-latency mode) start at the live edge (so nothing of the window's start
// is in their buffers), then each seeks back to near the window's start: it must fetch those segments
// from the origin (storage, by then) and decode frames there, the playhead advancing ~20 s behind
// live; then it returns to the live edge and plays on. No player may report an error (but hls.js's
// own start-up quirk, isStartSeekQuirk, and its cancelling its own loads when seeked, isOwnAbort).
import { describe, expect, it } from 'vitest';
import { isOwnAbort, isStartSeekQuirk, openPlayer, PLAYER_KINDS, type PlayerPage, type PlayerSample } from '../../bench/lib/llhls-players.js';
import { sleep, waitFor } from '../../bench/lib/wait.js';
import { readJson } from '../helpers/test-stack.js';
import { useBrowserStack } from './browser-stack.js';
import { publishLiveBroadcast, renditionPlaylistUrl } from './live-broadcast.js';

const { t, browser } = useBrowserStack({ env: { LEVELCHAT_WORKERS: '2' } });
const DVR_WINDOW_S = 20;
/** Where a seek lands after the window's start: room for the window to slide while the player buffers. */
const INTO_WINDOW_S = 3;
const PLAY_S = 6;
// Frames are counted at 10 per second at least (the camera sends 30): this shared machine may stall a player briefly.

/** Plays `s` seconds and reports how the playhead and the frame count moved meanwhile. */
async function playFor(player: PlayerPage, s: number): Promise<{ before: PlayerSample; after: PlayerSample }> {
  const before = await player.sample();
  await sleep(s * 1000);
  return { before, after: await player.sample() };
}

describe('LL-HLS DVR window, seeked in by real players', () => {
  it(`plays at the live edge, near the start of a ${DVR_WINDOW_S} s window, and at the live edge again, in hls.js and Shaka`, async () => {
    const created = await t.api('/v1/rooms', { method: 'POST', json: { type: 'broadcast', config: { hls_dvr_window_s: DVR_WINDOW_S } } });
    expect(created.status).toBe(201);
    const { id } = (await readJson(created)) as { id: string };
    const publisher = await publishLiveBroadcast(t, browser, id);
    const liveAt = Date.now();

    // The window is full and has slid (the stream is older than the window) before the players start.
    await sleep(Math.max(0, (DVR_WINDOW_S + 4) * 1000 - (Date.now() - liveAt)));
    const master = `${t.url}/hls/${id}/master.m3u8`;
    const players: PlayerPage[] = [];
    const segments: Map<string, { msn: number; status: number }[]> = new Map();
    for (const kind of PLAYER_KINDS) {
      const player = await openPlayer(browser, kind, master);
      const fetched: { msn: number; status: number }[] = [];
      player.page.on('response', (res) => {
        const msn = /\/seg(\d+)\.m4s$/.exec(new URL(res.url()).pathname)?.[1];
        if (msn) fetched.push({ msn: Number(msn), status: res.status() });
      });
      segments.set(kind, fetched);
      players.push(player);
    }
    await sleep(PLAY_S * 1000);
    const atLive = await Promise.all(players.map((p) => p.sample()));
    const ranges = await Promise.all(players.map((p) => p.seekRange()));
    const playlist = await (await fetch(await renditionPlaylistUrl(t, id))).text();
    const windowStart = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(playlist)![1]);
    const liveMsn = windowStart + (playlist.match(/^#EXTINF/gm) ?? []).length;
    for (const fetched of segments.values()) fetched.length = 0;

    // Back to near the window's start.
    await Promise.all(players.map((p, i) => p.seek(ranges[i]!.start + INTO_WINDOW_S)));
    const behind = await Promise.all(players.map(async (p) => {
      await waitFor(async () => (await p.sample()).frames > 0, { timeoutMs: 5000, what: `${p.kind} frames after the seek` });
      await sleep(1000); // the seek's fetch and first decode
      return playFor(p, PLAY_S);
    }));

    // And back to the live edge (a little inside it, where a player's seek bar puts "live").
    const liveRanges = await Promise.all(players.map((p) => p.seekRange()));
    await Promise.all(players.map((p, i) => p.seek(liveRanges[i]!.end - 1)));
    await sleep(3000);
    const backLive = await Promise.all(players.map((p) => playFor(p, PLAY_S)));
    const errors = await Promise.all(players.map((p) => p.errors()));

    players.forEach((p, i) => {
      const b = behind[i]!;
      const l = backLive[i]!;
      console.log(
        `[llhls-dvr-seek] ${p.kind}: window ${ranges[i]!.start.toFixed(1)}-${ranges[i]!.end.toFixed(1)} s (msn ${windowStart}-${liveMsn}), live latency ${atLive[i]!.latency?.toFixed(2)} s; ` +
          `fetched after the seek: ${JSON.stringify(segments.get(p.kind))}; ` +
          `behind: t ${b.before.currentTime.toFixed(1)} -> ${b.after.currentTime.toFixed(1)}, ${b.after.frames - b.before.frames} frames, latency ${b.after.latency?.toFixed(1)} s; ` +
          `live again: ${l.after.frames - l.before.frames} frames, latency ${l.after.latency?.toFixed(2)} s; errors ${JSON.stringify(errors[i]!.map((e) => e.detail))}`,
      );
    });
    for (const [i, p] of players.entries()) {
      const range = ranges[i]!;
      // The window the player was given is the DVR window (not just the live edge's ~12 s).
      expect(range.end - range.start, `${p.kind} seekable window`).toBeGreaterThan(DVR_WINDOW_S - 4);
      expect(atLive[i]!.latency!, `${p.kind} at the live edge`).toBeLessThan(4);
      // Near the window's start: decoding there, the playhead moving, ~the window behind live.
      const b = behind[i]!;
      expect(b.after.currentTime - b.before.currentTime, `${p.kind} playhead behind live`).toBeGreaterThan(PLAY_S * 0.7);
      expect(b.after.frames - b.before.frames, `${p.kind} frames behind live`).toBeGreaterThan(PLAY_S * 10);
      expect(b.after.currentTime, `${p.kind} near the window's start`).toBeLessThan(range.start + INTO_WINDOW_S + PLAY_S * 1.25 + 3);
      expect(b.after.latency!, `${p.kind} latency behind live`).toBeGreaterThan(DVR_WINDOW_S / 2);
      // Fetched from the origin: segments from the window's first few, every one there (200).
      const fetched = segments.get(p.kind)!;
      expect(Math.min(...fetched.map((f) => f.msn)), `${p.kind} fetched the window's start`).toBeLessThanOrEqual(windowStart + INTO_WINDOW_S + 2);
      expect(fetched.filter((f) => f.status !== 200), `${p.kind} segment responses`).toEqual([]);
      // Live again.
      const l = backLive[i]!;
      expect(l.after.frames - l.before.frames, `${p.kind} frames back at live`).toBeGreaterThan(PLAY_S * 10);
      expect(l.after.latency!, `${p.kind} latency back at live`).toBeLessThan(4);
      expect(errors[i]!.filter((e) => !isStartSeekQuirk(e) && !isOwnAbort(e)), `${p.kind} errors`).toEqual([]);
    }
    for (const p of players) await p.close();
    await publisher.context().close();
  }, 120_000);
});
