// A small time chart on a <canvas> (no chart library, nothing inline for the page's CSP): lines for
// the latency percentiles on the left scale, bars for the viewer count on the right one.

export interface ChartPoint {
  at: number;
  p50: number | null;
  p95: number | null;
  viewers: number;
}

const COLORS = { p50: '#63b3ed', p95: '#f6ad55', viewers: '#2f855a', grid: '#26313c', text: '#8a99a8' };

/** Draws `points` (oldest first) across the canvas; the scales fit the values shown. */
export function drawChart(canvas: HTMLCanvasElement, points: readonly ChartPoint[]): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const { width, height } = canvas;
  const pad = { left: 34, right: 26, top: 6, bottom: 14 };
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  ctx.clearRect(0, 0, width, height);
  const latencies = points.flatMap((p) => [p.p50, p.p95]).filter((v): v is number => v !== null);
  const maxLatency = niceCeil(Math.max(0.5, ...latencies));
  const maxViewers = Math.max(1, ...points.map((p) => p.viewers));
  ctx.font = '10px system-ui, sans-serif';
  ctx.fillStyle = COLORS.text;
  ctx.strokeStyle = COLORS.grid;
  ctx.lineWidth = 1;
  for (const f of [0, 0.5, 1]) {
    const y = pad.top + h - f * h;
    ctx.beginPath();
    ctx.moveTo(pad.left, y);
    ctx.lineTo(pad.left + w, y);
    ctx.stroke();
    ctx.fillText(`${(f * maxLatency).toFixed(1)}s`, 2, y + 3);
    ctx.fillText(String(Math.round(f * maxViewers)), pad.left + w + 4, y + 3);
  }
  if (points.length === 0) return;
  const step = w / Math.max(1, points.length - 1);
  const x = (i: number) => pad.left + i * step;
  ctx.fillStyle = COLORS.viewers;
  const bar = Math.max(1, step * 0.6);
  points.forEach((p, i) => {
    const bh = (p.viewers / maxViewers) * h;
    ctx.fillRect(x(i) - bar / 2, pad.top + h - bh, bar, bh);
  });
  for (const key of ['p95', 'p50'] as const) {
    ctx.strokeStyle = COLORS[key];
    ctx.lineWidth = 2;
    ctx.beginPath();
    let drawing = false;
    points.forEach((p, i) => {
      const v = p[key];
      if (v === null) {
        drawing = false;
        return;
      }
      const y = pad.top + h - (Math.min(v, maxLatency) / maxLatency) * h;
      if (drawing) ctx.lineTo(x(i), y);
      else ctx.moveTo(x(i), y);
      drawing = true;
    });
    ctx.stroke();
  }
}

/** 0.5, 1, 2, 5, 10… at or above `v`, so the scale labels stay round. */
function niceCeil(v: number): number {
  const base = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * base >= v) return m * base;
  return 10 * base;
}
