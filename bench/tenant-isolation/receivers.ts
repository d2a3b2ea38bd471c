// The two tenants' webhook receivers, in the driver process on 127.0.0.1.
import { startHangingReceiver } from '../lib/hanging-receiver.js';
import { startHttpReceiver } from '../lib/http-receiver.js';

/**
 * The well-behaved tenant's receiver: answers 200 at once and keeps, per room, how long after the
 * event was made (its `created_at`, stamped by the server on this machine's clock) it arrived.
 */
export async function startRecordingReceiver() {
  const latencyByRoom = new Map<string, number>();
  const receiver = await startHttpReceiver('/hook', (body, _req, res) => {
    const receivedAt = Date.now();
    res.writeHead(200).end();
    const event = JSON.parse(body) as { room_id: string; created_at: string };
    if (!latencyByRoom.has(event.room_id)) latencyByRoom.set(event.room_id, receivedAt - Date.parse(event.created_at));
  });
  return { ...receiver, latencyByRoom };
}

/**
 * The flooding tenant's receiver: accepts connections, reads the requests and never answers, so
 * every delivery attempt to it lasts its whole deadline. Counts attempts and the most open at once.
 */
export const startSilentReceiver = startHangingReceiver;
