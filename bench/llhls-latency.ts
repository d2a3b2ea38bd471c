// Bench: glass-to-glass latency of LevelChat's LL-HLS, publisher page → player page, in Chromium
// against a whole local node. Loopback only.
//
//   npm run build && node dist/bench/llhls-latency.js
//
// A page publishes a camera + microphone with @levelchat/web into a broadcast room (H.264, passed
// through by the pipeline); the room goes on air over LL-HLS; a second page plays
// /hls/{room}/master.m3u8 with our player (players/player: hls.js, lowLatencyMode, liveSyncDuration 1,
// liveMaxLatencyDuration 4, maxLiveSyncPlaybackRate 1.5). Every 500 ms for BENCH_DURATION_S (60) it
// samples, in the player page:
//   - playingDate: Date.now() - hls.playingDate (what the player's readout shows; relies on the
//     stream's EXT-X-PROGRAM-DATE-TIME, i.e. on the packager's idea of when a frame was captured);
//   - pixel clock: the publisher's "camera" is a canvas that paints Date.now() as a 32-bit pattern of
//     black/white blocks on every frame; the player page reads the pattern back from the <video> and
//     subtracts it from its own Date.now() (same machine, same clock). This is true glass to glass
//     (capture → encode → WebRTC → SFU → ffmpeg → packager → origin → hls.js → decode → present),
//     independent of PROGRAM-DATE-TIME.
// Target: p50 ≤ 1.5 s (playingDate metric). Prints progress every 5 s, then p50/p95.
//
// Env: BENCH_DURATION_S (60), BENCH_WARMUP_S (6), LEVELCHAT_WORKERS (2), BENCH_CHROMIUM (/usr/bin/chromium).
import { performance } from 'node:perf_hooks';
import { callOrThrow, h, joinOrThrow, mintToken, openHarness } from './lib/browser-kit.js';
import { sleep, waitFor } from './lib/wait.js';
import { startBrowserBench } from './lib/browser-bench.js';
import { spread } from './lib/stats.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 60);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 6);
const SAMPLE_MS = 500;
const TARGET_P50_S = 1.5;
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
  const video = document.getElementById('hls');
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

    const player = await open();
    const tPlay = performance.now();
    await h(player, 'playHls', `${url}${hls.url}`);
    await waitFor(async () => ((await h(player, 'hlsStats'))?.frames ?? 0) > 5, { timeoutMs: 20_000, intervalMs: 200, what: 'first LL-HLS frames' });
    say(`player presenting frames ${(performance.now() - tPlay).toFixed(0)} ms after load; warming up ${WARMUP_S} s (catch-up to the live edge)`);
    await sleep(WARMUP_S * 1000);

    const pdt: number[] = [];
    const pixel: number[] = [];
    const edge: number[] = [];
    let unreadable = 0;
    const startFrames = (await h(player, 'hlsStats'))!.frames;
    const startDropped = (await h(player, 'hlsStats'))!.dropped;
    const tStart = performance.now();
    let nextReport = 5000;
    for (let i = 0; performance.now() - tStart < DURATION_S * 1000; i++) {
      const due = tStart + i * SAMPLE_MS;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const [stats, clock] = await Promise.all([
        h(player, 'hlsStats'),
        player.evaluate(PIXEL_CLOCK_READ) as Promise<{ painted: number; now: number } | null>,
      ]);
      if (stats?.latency != null) pdt.push(stats.latency);
      if (stats?.edgeLatency != null) edge.push(stats.edgeLatency);
      if (clock) pixel.push((((clock.now - clock.painted) % 4294967296) + 4294967296) % 4294967296 / 1000);
      else unreadable += 1;
      const elapsed = performance.now() - tStart;
      if (elapsed >= nextReport) {
        nextReport += 5000;
        const last = (xs: number[]) => (xs.length ? xs[xs.length - 1]!.toFixed(2) : '–');
        say(
          `${(elapsed / 1000).toFixed(0).padStart(3)}/${DURATION_S} s  now−playingDate ${last(pdt)} s  pixel clock ${last(pixel)} s  ` +
            `edge ${last(edge)} s  frames ${stats?.frames ?? '?'}  state ${stats?.state ?? '?'}`,
        );
      }
    }
    const end = (await h(player, 'hlsStats'))!;
    const seconds = (performance.now() - tStart) / 1000;

    console.log(`\nLevelChat LL-HLS glass to glass, ${DURATION_S} s sampled every ${SAMPLE_MS} ms (after ${WARMUP_S} s warm-up), Chromium on loopback`);
    console.log(`video ${codec ?? '?'} passthrough; player liveSyncDuration 1 s, liveMaxLatencyDuration 4 s, maxLiveSyncPlaybackRate 1.5`);
    console.log(summary('now − playingDate', pdt));
    console.log(summary('pixel clock (true g2g)', pixel));
    console.log(summary('hls.latency (to edge)', edge));
    console.log(
      `frames presented ${end.frames - startFrames} (${((end.frames - startFrames) / seconds).toFixed(1)} fps), dropped ${end.dropped - startDropped}, ` +
        `player rebuilds ${end.rebuilds}, media recoveries ${end.mediaRecoveries}, unreadable pixel-clock samples ${unreadable}`,
    );
    const errors = await h(player, 'events', 'player:error');
    if (errors.length) console.log(`player errors (recovered): ${errors.map((e) => JSON.stringify(e.args[0])).join(', ')}`);
    const p50 = spread(pdt).p50;
    console.log(`target p50 ≤ ${TARGET_P50_S} s (now − playingDate): ${p50 <= TARGET_P50_S ? 'met' : 'MISSED'} (${p50.toFixed(2)} s)`);
    const p50px = spread(pixel).p50;
    if (Number.isFinite(p50px)) console.log(`same target on the pixel clock: ${p50px <= TARGET_P50_S ? 'met' : 'MISSED'} (${p50px.toFixed(2)} s)`);
    await Promise.all([player.context().close(), h(publisher, 'leave').then(() => publisher.context().close())]);
  } finally {
    await stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
