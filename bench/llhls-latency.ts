// Bench: glass-to-glass latency of LevelChat's LL-HLS, publisher page → player pages, in Chromium
// against a whole local node. Loopback only.
//
//   npm run build && node dist/bench/llhls-latency.js
//
// A page publishes a camera + microphone with @levelchat/web into a broadcast room (H.264, passed
// through by the pipeline); the room goes on air over LL-HLS; player pages play
// /hls/{room}/master.m3u8 at the same time, one page each (BENCH_PLAYERS): `levelchat`, our player
// (players/player: hls.js in lowLatencyMode, at the playlist's PART-HOLD-BACK, catching up at up to
// 1.5×), `hls.js` (its own build, lowLatencyMode, defaults) and `shaka` (Shaka Player,
// streaming.lowLatencyMode), the last two as bench/lib/llhls-players.ts opens them. Every 500 ms for
// BENCH_DURATION_S (60) it samples, in each player page:
//   - playingDate: Date.now() - the wall clock of the frame at the playhead (hls.playingDate, Shaka's
//     getPlayheadTimeAsDate; relies on the stream's EXT-X-PROGRAM-DATE-TIME, i.e. on the packager's
//     idea of when a frame was captured);
//   - pixel clock: the publisher's "camera" is a canvas that paints Date.now() as a 32-bit pattern of
//     black/white blocks on every frame; the player page reads the pattern back from the <video> and
//     subtracts it from its own Date.now() (same machine, same clock). This is true glass to glass
//     (capture → encode → WebRTC → SFU → ffmpeg → packager → origin → player → decode → present),
//     independent of PROGRAM-DATE-TIME.
// Goal (issue 14): pixel clock p50 ≤ 1.0 s and p95 ≤ 1.5 s with every player. Prints progress every
// 5 s, then p50/p95 per player.
//
// Env: BENCH_DURATION_S (60), BENCH_WARMUP_S (6), BENCH_PLAYERS (levelchat,hls.js,shaka),
// LEVELCHAT_WORKERS (2), BENCH_CHROMIUM (/usr/bin/chromium).
import { performance } from 'node:perf_hooks';
import type { Page } from 'playwright-core';
import { callOrThrow, h, joinOrThrow, mintToken, openHarness } from './lib/browser-kit.js';
import { sleep, waitFor } from './lib/wait.js';
import { startBrowserBench } from './lib/browser-bench.js';
import { openPlayer, PLAYER_KINDS, type PlayerKind, type PlayerPage } from './lib/llhls-players.js';
import { spread } from './lib/stats.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 60);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 6);
const SAMPLE_MS = 500;
const GOAL = { p50: 1.0, p95: 1.5 };
type PlayerName = 'levelchat' | PlayerKind;
const PLAYERS = (process.env.BENCH_PLAYERS ?? 'levelchat,hls.js,shaka').split(',').map((s) => s.trim()) as PlayerName[];
for (const name of PLAYERS) if (name !== 'levelchat' && !PLAYER_KINDS.includes(name)) throw new Error(`BENCH_PLAYERS: unknown player ${name}`);
/**
 * In the publisher page: getUserMedia({ video }) answers a 1280×720 canvas at 30 fps painting
 * Date.now() mod 2^32 as 32 blocks (8 × 4 grid, white = 1) twice (top and bottom half), so a reader
 * can reject frames where the two copies disagree. Audio still comes from the fake microphone.
 */
const PIXEL_CLOCK_SOURCE = `(() => {
  const W = 1280, H = 720, canvas = document.createElement('canvas');
  canvas.width = W; canvas.height = H;
  const g = canvas.getContext('2d');
  const paint = () => {
    const v = Date.now() % 4294967296;
    g.fillStyle = '#808080'; g.fillRect(0, 0, W, H);
    for (let copy = 0; copy < 2; copy++) for (let bit = 0; bit < 32; bit++) {
      const on = Math.floor(v / 2 ** bit) % 2 === 1;
      g.fillStyle = on ? '#fff' : '#000';
      g.fillRect((bit % 8) * (W / 8), copy * (H / 2) + Math.floor(bit / 8) * (H / 8), W / 8, H / 8);
    }
  };
  paint();
  setInterval(paint, 10);
  const stream = canvas.captureStream(30);
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (c) => {
    if (c && c.video) return new MediaStream([stream.getVideoTracks()[0].clone()]);
    return original(c);
  };
  return true;
})()`;

/** In the player page: the value painted in the frame on screen now, and Date.now(); null if unreadable. */
const PIXEL_CLOCK_READ = `(() => {
  const video = document.getElementById('hls') ?? document.querySelector('video');
  if (!video || video.videoWidth === 0) return null;
  const W = video.videoWidth, H = video.videoHeight;
  const c = (globalThis.__clockCanvas ??= document.createElement('canvas'));
  c.width = W; c.height = H;
  const g = c.getContext('2d', { willReadFrequently: true });
  const now = Date.now();
  g.drawImage(video, 0, 0, W, H);
  const data = g.getImageData(0, 0, W, H).data;
  const read = (copy) => {
    let v = 0;
    for (let bit = 0; bit < 32; bit++) {
      const x = Math.floor(((bit % 8) + 0.5) * (W / 8)), y = Math.floor(copy * (H / 2) + (Math.floor(bit / 8) + 0.5) * (H / 8));
      const i = (y * W + x) * 4;
      const luma = (data[i] + data[i + 1] + data[i + 2]) / 3;
      if (luma > 128) v += 2 ** bit;
    }
    return v;
  };
  const a = read(0), b = read(1);
  if (a !== b) return null;
  return { painted: a, now: now % 4294967296 };
})()`;

function summary(label: string, xs: number[]): string {
  const s = spread(xs);
  const f = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '  –  ' : x.toFixed(2));
  return `${label.padEnd(24)} n ${String(s.n).padStart(3)}   p50 ${f(s.p50)} s   p95 ${f(s.p95)} s   min ${f(s.min)} / mean ${f(s.mean)} / max ${f(s.max)} s`;
}

/** A player page as the bench samples it, whichever player it runs. */
interface Viewer {
  name: PlayerName;
  description: string;
  page: Page;
  /** `stalls`: the video waited for data after it had played (our player counts them; null: not counted). */
  sample(): Promise<{ frames: number; dropped: number; latency: number | null; stalls?: number }>;
  errors(): Promise<string[]>;
  close(): Promise<void>;
}

/** Our player (players/player) in the harness page, as an integrator's page runs it: its defaults. */
async function ourPlayer(page: Page, url: string): Promise<Viewer> {
  await h(page, 'playHls', url);
  return {
    name: 'levelchat',
    description: 'players/player: hls.js lowLatencyMode at PART-HOLD-BACK, catch-up ≤ 1.5×',
    page,
    sample: async () => {
      const stats = await h(page, 'hlsStats');
      return { frames: stats?.frames ?? 0, dropped: stats?.dropped ?? 0, latency: stats?.latency ?? null, stalls: stats?.rebuffers ?? 0 };
    },
    errors: async () => (await h(page, 'events', 'player:error')).map((e) => JSON.stringify(e.args[0])),
    close: () => page.context().close(),
  };
}

function thirdParty(player: PlayerPage): Viewer {
  return {
    name: player.kind,
    description: player.kind === 'shaka' ? 'Shaka Player, streaming.lowLatencyMode, liveSync up to 1.25×' : 'hls.js own build, lowLatencyMode, defaults',
    page: player.page,
    sample: () => player.sample(),
    errors: async () => (await player.errors()).map((e) => `${e.fatal ? 'fatal ' : ''}${e.detail}`),
    close: () => player.close(),
  };
}

async function main(): Promise<void> {
  const { stack, browser, apiKey, say, stop } = await startBrowserBench('llhls-latency');
  try {
    const url = stack.summary.url;

    const roomId = `r_bench-llhls-${Date.now()}`;
    const mint = (identity: string, capabilities: string[]) => mintToken(url, apiKey, roomId, identity, capabilities, 'broadcast');
    const open = () => openHarness(browser, url);

    const publisher = await open();
    await publisher.evaluate(PIXEL_CLOCK_SOURCE);
    const pub = await mint('publisher', ['publish:camera']);
    await joinOrThrow(publisher, { token: pub.token, signalingUrl: pub.signaling_url, roomType: 'broadcast' }, 'publisher');
    for (const method of ['publishCamera', 'publishMicrophone']) await callOrThrow(publisher, method);
    const codec = [...(stack.liveRooms.rooms.get(roomId)?.tracks.values() ?? [])].find((x) => x.source === 'camera')?.producer.rtpParameters.codecs[0]?.mimeType;
    say(`publisher live (pixel-clock canvas camera, ${codec ?? '?'}, + microphone)`);
    const tLive = performance.now();
    const hls = await waitFor(async () => {
      const res = await fetch(`${url}/v1/rooms/${roomId}`, { headers: { authorization: `Bearer ${apiKey}` } });
      const body = (await res.json()) as { hls?: { state: string; url: string } | null };
      return body.hls?.state === 'live' ? body.hls : null;
    }, { timeoutMs: 20_000, intervalMs: 200, what: 'LL-HLS live' });
    say(`hls.state live after ${(performance.now() - tLive).toFixed(0)} ms: ${hls.url}`);

    // One page per player, all on the same stream at once.
    const viewers: Viewer[] = [];
    for (const name of PLAYERS) viewers.push(name === 'levelchat' ? await ourPlayer(await open(), `${url}${hls.url}`) : thirdParty(await openPlayer(browser, name, `${url}${hls.url}`)));
    const tPlay = performance.now();
    await waitFor(async () => (await Promise.all(viewers.map((v) => v.sample()))).every((x) => x.frames > 5), { timeoutMs: 20_000, intervalMs: 200, what: 'first LL-HLS frames in every player' });
    say(`${PLAYERS.join(', ')} presenting frames ${(performance.now() - tPlay).toFixed(0)} ms after load; warming up ${WARMUP_S} s (catch-up to the live edge)`);
    await sleep(WARMUP_S * 1000);

    const series = viewers.map(() => ({ pdt: [] as number[], pixel: [] as number[], unreadable: 0 }));
    const start = await Promise.all(viewers.map((v) => v.sample()));
    const tStart = performance.now();
    let nextReport = 5000;
    for (let i = 0; performance.now() - tStart < DURATION_S * 1000; i++) {
      const due = tStart + i * SAMPLE_MS;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const taken = await Promise.all(viewers.map(async (v) => [await v.sample(), (await v.page.evaluate(PIXEL_CLOCK_READ)) as { painted: number; now: number } | null] as const));
      taken.forEach(([sample, clock], k) => {
        const x = series[k]!;
        if (sample.latency != null) x.pdt.push(sample.latency);
        if (clock) x.pixel.push(((((clock.now - clock.painted) % 4294967296) + 4294967296) % 4294967296) / 1000);
        else x.unreadable += 1;
      });
      const elapsed = performance.now() - tStart;
      if (elapsed >= nextReport) {
        nextReport += 5000;
        const last = (xs: number[]) => (xs.length ? xs[xs.length - 1]!.toFixed(2) : '–');
        say(`${(elapsed / 1000).toFixed(0).padStart(3)}/${DURATION_S} s  ` + viewers.map((v, k) => `${v.name}: pixel clock ${last(series[k]!.pixel)} s, now−playingDate ${last(series[k]!.pdt)} s, frames ${taken[k]![0].frames}`).join('  |  '));
      }
    }
    const end = await Promise.all(viewers.map((v) => v.sample()));
    const seconds = (performance.now() - tStart) / 1000;

    console.log(`\nLevelChat LL-HLS glass to glass, ${DURATION_S} s sampled every ${SAMPLE_MS} ms (after ${WARMUP_S} s warm-up), Chromium on loopback, video ${codec ?? '?'} passthrough`);
    let met = true;
    for (const [k, v] of viewers.entries()) {
      const x = series[k]!;
      const frames = end[k]!.frames - start[k]!.frames;
      console.log(`\n${v.name} (${v.description})`);
      console.log(summary('pixel clock (true g2g)', x.pixel));
      console.log(summary('now − playingDate', x.pdt));
      console.log(`frames presented ${frames} (${(frames / seconds).toFixed(1)} fps), dropped ${end[k]!.dropped - start[k]!.dropped}, unreadable pixel-clock samples ${x.unreadable}`);
      const stalls = end[k]!.stalls;
      if (stalls !== undefined) console.log(`stalls while playing: ${stalls - (start[k]!.stalls ?? 0)} in the window, ${stalls} since the start`);
      const errors = await v.errors();
      console.log(`player errors: ${errors.length ? errors.join(', ') : 'none'}`);
      const { p50, p95 } = spread(x.pixel);
      const ok = p50 <= GOAL.p50 && p95 <= GOAL.p95;
      met &&= ok;
      console.log(`goal p50 ≤ ${GOAL.p50} s, p95 ≤ ${GOAL.p95} s (pixel clock): ${ok ? 'met' : 'MISSED'} (p50 ${p50.toFixed(2)} s, p95 ${p95.toFixed(2)} s)`);
    }
    console.log(`\nevery player: ${met ? 'met' : 'MISSED'}`);
    await Promise.all([...viewers.map((v) => v.close()), h(publisher, 'leave').then(() => publisher.context().close())]);
  } finally {
    await stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
