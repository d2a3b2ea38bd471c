import type { types } from 'mediasoup';
import type { SignalingServices } from './features/feature.js';

/**
 * A WebRtcTransport as this node makes them for every client (SDK participants, WHIP publishers,
 * WHEP players): on the configured listen IP (announcing the public IP behind NAT), UDP preferred
 * with TCP as the fallback.
 */
export function createWebRtcTransport(router: types.Router, rtc: SignalingServices['rtc'], appData: Record<string, unknown>): Promise<types.WebRtcTransport> {
  return router.createWebRtcTransport({
    listenIps: [{ ip: rtc.listenIp, ...(rtc.announcedIp ? { announcedIp: rtc.announcedIp } : {}) }],
    enableUdp: true,
    enableTcp: true,
    preferUdp: true,
    initialAvailableOutgoingBitrate: 1_000_000,
    appData,
  });
}
