import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

const bind = (port: number): Promise<dgram.Socket | undefined> =>
  new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.bind(port, '127.0.0.1', () => resolve(socket));
  });

/**
 * An even loopback UDP port whose successor is free too: ffmpeg takes RTP on `port` and RTCP on
 * `port + 1`. Both were free a moment ago; the caller binds them right away.
 */
export async function freeRtpPortPair(attempts = 20): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const first = await bind(0);
    if (!first) continue;
    const port = first.address().port;
    const second = port % 2 === 0 && port < 65535 ? await bind(port + 1) : undefined;
    first.close();
    second?.close();
    if (second) return port;
  }
  throw new Error('no free RTP/RTCP port pair on 127.0.0.1');
}

/** Local UDP ports bound on this host, from /proc/net/udp (Linux). */
async function boundUdpPorts(): Promise<Set<number>> {
  const table = await readFile('/proc/net/udp', 'utf8').catch(() => '');
  const ports = new Set<number>();
  for (const line of table.split('\n').slice(1)) {
    const local = line.trim().split(/\s+/)[1];
    const hex = local?.split(':')[1];
    if (hex) ports.add(parseInt(hex, 16));
  }
  return ports;
}

/**
 * Resolves true once every port is bound (ffmpeg opens its RTP sockets after reading the SDP but
 * prints nothing when it does), false after `timeoutMs`: then we start sending anyway.
 */
export async function waitUntilBound(ports: readonly number[], timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !signal?.aborted) {
    const bound = await boundUdpPorts();
    if (ports.every((p) => bound.has(p))) return true;
    await sleep(20);
  }
  return false;
}
