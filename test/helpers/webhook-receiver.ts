import type http from 'node:http';
import { startHttpReceiver } from '../../bench/lib/http-receiver.js';

export interface ReceivedDelivery {
  body: string;
  headers: http.IncomingHttpHeaders;
  status: number;
}

/**
 * A loopback webhook receiver. `failFirst` answers 503 to that many requests before accepting;
 * `down()` / `up()` switch between refusing everything and accepting.
 */
export async function startWebhookReceiver(options: { failFirst?: number } = {}) {
  let failuresLeft = options.failFirst ?? 0;
  let isDown = false;
  const all: ReceivedDelivery[] = [];
  const { url, close } = await startHttpReceiver('/hook', (body, req, res) => {
    const fail = isDown || failuresLeft > 0;
    if (failuresLeft > 0) failuresLeft -= 1;
    const status = fail ? 503 : 200;
    all.push({ body, headers: req.headers, status });
    res.writeHead(status).end();
  });
  return {
    url,
    all,
    /** Accepted deliveries, parsed, deduplicated by event id (what a receiver keeps). */
    accepted(): { id: string; type: string; room_id: string; data: Record<string, unknown> }[] {
      const seen = new Set<string>();
      const out = [];
      for (const d of all) {
        if (d.status !== 200) continue;
        const event = JSON.parse(d.body);
        if (seen.has(event.id)) continue;
        seen.add(event.id);
        out.push(event);
      }
      return out;
    },
    down() {
      isDown = true;
    },
    up() {
      isDown = false;
    },
    close,
  };
}
