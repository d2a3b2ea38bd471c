// application/trickle-ice-sdpfrag bodies (RFC 8840) of WHIP/WHEP PATCH requests: what the client
// sends (candidates, or new ICE credentials for a restart) and our answer to a restart.
import type { types } from 'mediasoup';
import { SessionRefusal } from './session-refusal.js';

export interface ClientFragment {
  /** Set when the fragment carries ICE credentials (a restart when they are new). */
  ufrag: string | undefined;
  pwd: string | undefined;
  candidates: number;
}

export function readFragment(body: string): ClientFragment {
  const lines = body.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines.some((l) => !/^[a-z]=/.test(l))) throw new SessionRefusal('sdp_malformed', 'a trickle-ice-sdpfrag holds SDP lines only');
  const value = (name: string) => lines.find((l) => l.startsWith(`a=${name}:`))?.slice(name.length + 3).trim();
  return { ufrag: value('ice-ufrag'), pwd: value('ice-pwd'), candidates: lines.filter((l) => l.startsWith('a=candidate:')).length };
}

/** Our new ICE credentials and candidates after a restart, as an sdpfrag. */
export function iceRestartFragment(ice: types.IceParameters, candidates: readonly types.IceCandidate[], media: { type: string; mid: string }): string {
  return [
    'a=ice-lite',
    `a=ice-ufrag:${ice.usernameFragment}`,
    `a=ice-pwd:${ice.password}`,
    `m=${media.type} 9 UDP/TLS/RTP/SAVPF 0`,
    `a=mid:${media.mid}`,
    ...candidates.map((c) => `a=candidate:${c.foundation} 1 ${c.protocol} ${c.priority} ${c.ip} ${c.port} typ ${c.type}${c.tcpType ? ` tcptype ${c.tcpType}` : ''}`),
    'a=end-of-candidates',
    '',
  ].join('\r\n');
}
