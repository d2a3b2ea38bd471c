// Bench: a WebRTC encoder publishing over WHIP, to the first frame decoded by a WHEP player of the
// same room, both plain RTCPeerConnections in Chromium (no SDK), against a whole local node on
// loopback. Goal: p50 <= 300 ms.
//
//   npm run build && node dist/bench/whip-whep.js
//
// Each round uses a new broadcast room: the WHEP player connects first (nothing on air yet), then
// the publisher's offer is POSTed to /whip (the clock starts just before the POST, in the page; the
// camera is opened and the offer made before it). The time runs to the player's first decoded
// video frame (its getStats() polled every 4 ms in the page; both pages share one clock). Then both
// sessions are DELETEd. It covers: WHIP admission and answer, ICE + DTLS of the publisher, the
// producer going on air in the room's program, the key frame request, and the player's decode.
//
// Env: BENCH_ROUNDS (10), LEVELCHAT_WORKERS (2), BENCH_CHROMIUM (/usr/bin/chromium).
import { mintToken, openHarness } from './lib/browser-kit.js';
import { startBrowserBench } from './lib/browser-bench.js';
import { spread } from './lib/stats.js';
import { endSession, firstFrameAt, whepPlay, whipPublish } from './lib/webrtc-http-kit.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const GOAL_P50_MS = 300;

async function main(): Promise<void> {
  const { stack, browser, apiKey, say, stop } = await startBrowserBench('whip-whep');
  try {
    const url = stack.summary.url;
    const publisher = await openHarness(browser, url, 'whip');
    const player = await openHarness(browser, url, 'whep');
    const times: number[] = [];
    const answers: number[] = [];
    for (let i = 0; i <= ROUNDS; i++) {
      const room = `r_bench-whip-${Date.now()}-${i}`;
      const mint = (identity: string, caps: string[]) => mintToken(url, apiKey, room, identity, caps, 'broadcast').then((m) => m.token);
      const [pubToken, playToken] = await Promise.all([mint('encoder', ['publish:camera']), mint('player', ['subscribe:all'])]);
      const played = await whepPlay(player, 'p', `${url}/v1/rooms/${room}/whep`, playToken);
      if (played.status !== 201) throw new Error(`WHEP: ${played.status} ${played.body}`);
      const first = firstFrameAt(player, 'p', 10_000);
      const published = await whipPublish(publisher, 'w', `${url}/v1/rooms/${room}/whip`, pubToken, { codec: 'video/H264' });
      if (published.status !== 201) throw new Error(`WHIP: ${published.status} ${published.body}`);
      const at = await first;
      if (at === null) throw new Error(`round ${i}: no frame at the WHEP player within 10 s`);
      await endSession(publisher, 'w', url);
      await endSession(player, 'p', url);
      if (i === 0) continue; // warm-up: Chromium's first encoder and decoder
      times.push(at - published.postedAt);
      answers.push(published.answerMs);
      say(`round ${String(i).padStart(2)}/${ROUNDS}: first frame ${String(at - published.postedAt).padStart(4)} ms after the WHIP POST (answer in ${published.answerMs.toFixed(0)} ms)`);
    }
    const s = spread(times);
    const a = spread(answers);
    console.log(`\nWHIP POST -> first frame decoded by a WHEP player, ${times.length} rounds, Chromium on loopback, H.264 640x360`);
    console.log(`first frame   p50 ${s.p50.toFixed(0).padStart(4)} ms   p95 ${s.p95.toFixed(0).padStart(4)} ms   min ${s.min?.toFixed(0)} / mean ${s.mean.toFixed(0)} / max ${s.max?.toFixed(0)} ms`);
    console.log(`WHIP answer   p50 ${a.p50.toFixed(0).padStart(4)} ms   p95 ${a.p95.toFixed(0).padStart(4)} ms`);
    console.log(`goal p50 <= ${GOAL_P50_MS} ms: ${s.p50 <= GOAL_P50_MS ? 'met' : 'NOT met'} (${(s.p50 / GOAL_P50_MS).toFixed(2)} of the goal)`);
  } finally {
    await stop();
  }
}

await main();
