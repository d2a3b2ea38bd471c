// A webhook receiver that never answers, shared by bench:tenant-isolation and the webhook flood test.
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * Accepts connections on 127.0.0.1, reads the requests and never answers, so every delivery attempt
 * to it lasts its whole deadline. Counts attempts (connections) and the most open at once.
 */
export async function startHangingReceiver() {
  const sockets = new Set<net.Socket>();
  let attempts = 0;
  let mostOpen = 0;
  const server = net.createServer((socket) => {
    attempts += 1;
    sockets.add(socket);
    mostOpen = Math.max(mostOpen, sockets.size);
    // Reading lets it see the sender give up (and close) at its deadline.
    socket.resume();
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    /** Connections open now. */
    open: () => sockets.size,
    attempts: () => attempts,
    mostOpen: () => mostOpen,
    /** Starts counting again: no attempts, and the most open at once is what is open now. */
    reset: () => {
      attempts = 0;
      mostOpen = sockets.size;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
