// Bench: how long from "the browser has a token" to "the first remote video frame is decoded and
// presented", with @levelchat/web in Chromium against a whole local node. Loopback only.
//
//   npm run build && node dist/bench/join.js
//
// One page publishes a fake 720p camera (simulcast) and microphone into a meeting room; then N times
// a fresh browser context (its own cookies, cache and WebRTC stack) loads /harness.html (the SDK is
// loaded before the clock starts: integrators' pages load it with the app), mints nothing itself (the
// token is minted beforehand, as a backend would), and measures inside the page, from the joinLive()
// call: joined (WebSocket + join + device load), track-subscribed (recv transport, consume, resume),
// first frame (requestVideoFrameCallback on the <video>). Each viewer leaves before the next joins.
//
// Env: BENCH_JOINS (20), LEVELCHAT_WORKERS (2), BENCH_CHROMIUM (/usr/bin/chromium).
import { h } from './lib/browser-kit.js';
import { startBrowserBench } from './lib/browser-bench.js';
import { spread } from './lib/stats.js';

const JOINS = Number(process.env.BENCH_JOINS ?? 20);
const TARGET_P50_MS = 400;
function summary(label: string, xs: number[]): string {
  const s = spread(xs);
  return `${label.padEnd(16)} p50 ${s.p50.toFixed(0).padStart(5)} ms   p95 ${s.p95.toFixed(0).padStart(5)} ms   min ${s.min?.toFixed(0)} / mean ${s.mean.toFixed(0)} / max ${s.max?.toFixed(0)} ms`;
}

async function main(): Promise<void> {
  const { open, room: newRoom, say, stop } = await startBrowserBench('join');
  try {
    const room = newRoom('join', 'meeting');
    const publisher = await open();
    await room.publish(publisher);
    say('publisher live (camera simulcast + microphone); warming up one viewer (unmeasured)');

    const results: { joinedMs: number; subscribedMs: number; firstFrameMs: number }[] = [];
    for (let i = 0; i <= JOINS; i++) {
      const page = await open();
      const token = await room.mint(`viewer-${i}`, ['subscribe:all']);
      const r = await h(page, 'timeToFirstFrame', { token: token.token, signalingUrl: token.signaling_url }, 10_000);
      await h(page, 'leave');
      await page.context().close();
      if (!r.ok) throw new Error(`join ${i}: ${r.code} ${r.message}`);
      if (i === 0) continue; // warm-up: first Chromium WebRTC/codec initialisation
      results.push(r.value);
      say(
        `join ${String(i).padStart(2)}/${JOINS}: first frame ${r.value.firstFrameMs.toFixed(0).padStart(4)} ms ` +
          `(joined ${r.value.joinedMs.toFixed(0)} ms, track-subscribed ${r.value.subscribedMs.toFixed(0)} ms)`,
      );
    }
    await publisher.context().close();

    const firstFrames = results.map((r) => r.firstFrameMs);
    console.log(`\n@levelchat/web: token → first remote frame decoded, ${results.length} joins, Chromium on loopback`);
    console.log(summary('joined', results.map((r) => r.joinedMs)));
    console.log(summary('track-subscribed', results.map((r) => r.subscribedMs)));
    console.log(summary('first frame', firstFrames));
    const p50 = spread(firstFrames).p50;
    console.log(`target p50 ≤ ${TARGET_P50_MS} ms: ${p50 <= TARGET_P50_MS ? 'met' : 'MISSED'} (${p50.toFixed(0)} ms)`);
  } finally {
    await stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
