// The two tenants' webhook receivers, in the driver process on 127.0.0.1.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHangingReceiver } from '../lib/hanging-receiver.js';

/**
 * The well-behaved tenant's receiver: answers 200 at once and keeps, per room, how long after the
 * event was made (its `created_at`, stamped by the server on this machine's clock) it arrived.
 */
export async function startRecordingReceiver() {
  const latencyByRoom = new Map<string, number>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const receivedAt = Date.now();
      res.writeHead(200).end();
      const event = JSON.parse(body) as { room_id: string; created_at: string };
      if (!latencyByRoom.has(event.room_id)) latencyByRoom.set(event.room_id, receivedAt - Date.parse(event.created_at));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    latencyByRoom,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/**
 * The flooding tenant's receiver: accepts connections, reads the requests and never answers, so
 * every delivery attempt to it lasts its whole deadline. Counts attempts and the most open at once.
 */
export const startSilentReceiver = startHangingReceiver;
