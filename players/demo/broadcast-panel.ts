// The room as its audience sees it, for the console: on air or not (and who), the LL-HLS URL to
// share, the viewer count and the viewers' glass-to-glass latency (p50/p95 from the players' reports,
// GET /v1/rooms/{id}) as a live chart. Without an API key in the page it charts what is known
// locally: this session's own latency reports and the WebRTC viewer count.
import type { LiveSession } from '../web/index.js';
import { $, input } from './dom.js';
import { getRoom } from './rest.js';
import { drawChart, type ChartPoint } from './sparkline.js';

const POLL_MS = 2000;
/** Five minutes of points at one per poll. */
const MAX_POINTS = 150;

let timer: ReturnType<typeof setInterval> | null = null;
let points: ChartPoint[] = [];
let ownLatency: number | null = null;

/** Called with each of this session's own latency reports (the SDK's `telemetry.onReport`). */
export function noteOwnLatency(latencyS: number | null): void {
  ownLatency = latencyS;
}

export function startBroadcastPanel(session: LiveSession): void {
  stopBroadcastPanel();
  points = [];
  const hlsUrl = session.hlsUrl;
  $('hls-share-row').hidden = !hlsUrl;
  input('hls-share').value = hlsUrl ?? '';
  const tick = async () => {
    const room = input('api-key').value.trim() ? await getRoom(session.roomId).catch(() => null) : null;
    const viewers = room?.viewers;
    const point: ChartPoint = viewers
      ? { at: Date.now(), p50: viewers.latency_p50_s, p95: viewers.latency_p95_s, viewers: viewers.count }
      : { at: Date.now(), p50: ownLatency, p95: null, viewers: session.viewerCount };
    points = [...points, point].slice(-MAX_POINTS);
    const onAir = room?.hls?.on_air?.identity;
    $('on-air').textContent = room ? (room.hls?.state === 'live' ? `on air: ${onAir ?? 'someone'}` : 'off air') : hlsUrl ? 'LL-HLS room' : 'WebRTC only';
    $('on-air').className = room?.hls?.state === 'live' ? 'badge live' : 'badge';
    $('viewers-now').textContent = `${point.viewers} viewer${point.viewers === 1 ? '' : 's'}${viewers?.capped ? '+' : ''}`;
    $('latency-now').textContent = point.p50 === null ? 'latency –' : `latency p50 ${point.p50.toFixed(2)} s${point.p95 === null ? '' : ` · p95 ${point.p95.toFixed(2)} s`}`;
    $('chart-source').textContent = viewers ? "every viewer's player (GET /v1/rooms/{id})" : 'this page only (paste an API key for the whole audience)';
    drawChart($<HTMLCanvasElement>('latency-chart'), points);
  };
  void tick();
  timer = setInterval(() => void tick(), POLL_MS);
}

export function stopBroadcastPanel(): void {
  if (timer) clearInterval(timer);
  timer = null;
  ownLatency = null;
}
